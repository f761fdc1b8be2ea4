"""`python -m curator`: the headless CLI."""

from .cli import main

raise SystemExit(main())
