"""Notifications and in-app messages of one environment (see ``indexes`` for how they are kept)."""

from mock_server.store.inbox.backend import InboxBackend
from mock_server.store.inbox.filters import InboxFilter, Page
from mock_server.store.inbox.records import ACTION_TYPES, Message, Notification
from mock_server.store.inbox.render import render
from mock_server.store.workflows import InAppTemplate

__all__ = ["ACTION_TYPES", "InAppTemplate", "InboxBackend", "InboxFilter", "Message", "Notification", "Page", "render"]
