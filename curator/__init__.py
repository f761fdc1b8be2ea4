"""Curator's core: feeds in, a searchable offline store, posts out. Never imports Qt."""

__version__ = "0.1.0"

from ._fetch import FetchSettings as FetchSettings  # noqa: E402
from ._storage import ItemQuery as ItemQuery  # noqa: E402
from .core import Curator as Curator  # noqa: E402
from .errors import *  # noqa: E402,F403
from .types import *  # noqa: E402,F403
