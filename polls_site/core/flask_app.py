"""The app's Flask class: Flask, without re-inspecting every hook on every request."""

from __future__ import annotations

from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask


class App(Flask):
    """Flask with ``ensure_sync`` answered once per function.

    Flask asks ``inspect.iscoroutinefunction`` of the view and of every before/after
    request hook on every request (about 3 % of a cached widget page); the answer for a
    function never changes, so it is remembered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Callable[..., Any], bool] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` itself when it is a plain function, else Flask's wrapper for it."""
        is_sync = self._sync_functions.get(func)
        if is_sync is None:
            is_sync = not iscoroutinefunction(func)
            if len(self._sync_functions) < 4096:
                self._sync_functions[func] = is_sync
        return func if is_sync else self.async_to_sync(func)
