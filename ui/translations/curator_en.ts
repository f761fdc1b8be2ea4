<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>CrashDialog</name>
    <message numerus="yes">
        <source>%n more error(s) since; see the log.</source>
        <translation>
            <numerusform>%n more error since; see the log.</numerusform>
            <numerusform>%n more errors since; see the log.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FeedActions</name>
    <message numerus="yes">
        <source>Subscribed to {title}: %n new items</source>
        <translation>
            <numerusform>Subscribed to {title}: %n new item</numerusform>
            <numerusform>Subscribed to {title}: %n new items</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n feeds moved</source>
        <translation>
            <numerusform>%n feed moved</numerusform>
            <numerusform>%n feeds moved</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Folder removed; %n feeds kept outside any folder</source>
        <translation>
            <numerusform>Folder removed; %n feed kept outside any folder</numerusform>
            <numerusform>Folder removed; %n feeds kept outside any folder</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Its %n items go with it, starred ones too. You can undo this for a minute.</source>
        <translation>
            <numerusform>Its %n item goes with it, even if starred. You can undo this for a minute.</numerusform>
            <numerusform>Its %n items go with it, starred ones too. You can undo this for a minute.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Restored “{title}” with %n items</source>
        <translation>
            <numerusform>Restored “{title}” with %n item</numerusform>
            <numerusform>Restored “{title}” with %n items</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ItemListModel</name>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>%n min ago</numerusform>
            <numerusform>%n min ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h ago</source>
        <translation>
            <numerusform>%n h ago</numerusform>
            <numerusform>%n h ago</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n feeds imported</source>
        <translation>
            <numerusform>%n feed imported</numerusform>
            <numerusform>%n feeds imported</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MentionsText</name>
    <message numerus="yes">
        <source>%n new mentions of {name}</source>
        <translation>
            <numerusform>%n new mention of {name}</numerusform>
            <numerusform>%n new mentions of {name}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and %n more lists</source>
        <translation>
            <numerusform>and %n more list</numerusform>
            <numerusform>and %n more lists</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PackActions</name>
    <message numerus="yes">
        <source>Subscribed to the content pack {title}: %n approved items</source>
        <translation>
            <numerusform>Subscribed to the content pack {title}: %n approved item</numerusform>
            <numerusform>Subscribed to the content pack {title}: %n approved items</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Wrote a content pack of %n items to {path}</source>
        <translation>
            <numerusform>Wrote a content pack of %n item to {path}</numerusform>
            <numerusform>Wrote a content pack of %n items to {path}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RefreshController</name>
    <message numerus="yes">
        <source>%n new items</source>
        <translation>
            <numerusform>%n new item</numerusform>
            <numerusform>%n new items</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n feeds failed</source>
        <translation>
            <numerusform>%n feed failed</numerusform>
            <numerusform>%n feeds failed</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VariantTab</name>
    <message numerus="yes">
        <source>%n characters</source>
        <translation>
            <numerusform>%n character</numerusform>
            <numerusform>%n characters</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n characters too many: shorten it, or split it into a thread.</source>
        <translation>
            <numerusform>%n character too many: shorten it, or split it into a thread.</numerusform>
            <numerusform>%n characters too many: shorten it, or split it into a thread.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Shorten it by %n characters.</source>
        <translation>
            <numerusform>Shorten it by %n character.</numerusform>
            <numerusform>Shorten it by %n characters.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WatchListsDialog</name>
    <message numerus="yes">
        <source>%n terms</source>
        <translation>
            <numerusform>%n term</numerusform>
            <numerusform>%n terms</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WelcomeDialog</name>
    <message numerus="yes">
        <source>%n feeds imported</source>
        <translation>
            <numerusform>%n feed imported</numerusform>
            <numerusform>%n feeds imported</numerusform>
        </translation>
    </message>
</context>
</TS>
