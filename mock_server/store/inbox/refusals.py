"""How each inbox use case of Novu refuses an unknown subscriber: the v1 widget use cases and the
inbox ones each word (and sometimes classify) it their own way. Each function takes the
``subscriberId`` asked for and the environment's ``_id`` and returns the error to raise."""

from __future__ import annotations

from collections.abc import Callable

from mock_server.errors import BadRequest, NotFound, NovuError

Refusal = Callable[[str, str], NovuError]


def subscriber_not_found(subscriber_id: str, environment_id: str) -> NovuError:
    """subscribers/usecases/get-subscriber (v2 inbox actions and lists, v1 messages list)."""
    return NotFound(f"Subscriber not found for id {subscriber_id}")


def feed_without_subscriber(subscriber_id: str, environment_id: str) -> NovuError:
    """widgets/usecases/get-notifications-feed (v1 feed)."""
    return BadRequest(
        f"Subscriber not found for this environment with the id: {subscriber_id}. "
        "Make sure to create a subscriber before fetching the feed."
    )


def unseen_without_subscriber(subscriber_id: str, environment_id: str) -> NovuError:
    """widgets/usecases/get-feed-count (v1 unseen count)."""
    return BadRequest(
        f"Subscriber {subscriber_id} is not exist in environment {environment_id}, "
        "please provide a valid subscriber identifier"
    )


def mark_as_without_subscriber(subscriber_id: str, environment_id: str) -> NovuError:
    """widgets/usecases/mark-message-as (v1 mark-as)."""
    return NotFound(f"Subscriber {subscriber_id} not found")


def mark_all_without_subscriber(subscriber_id: str, environment_id: str) -> NovuError:
    """widgets/usecases/mark-all-messages-as (v1 mark-all)."""
    return NotFound(
        f"Subscriber {subscriber_id} does not exist in environment {environment_id}, "
        "please provide a valid subscriber identifier"
    )


def count_without_subscriber(subscriber_id: str, environment_id: str) -> NovuError:
    """inbox/usecases/notifications-count (v2 count)."""
    return BadRequest(f"Subscriber {subscriber_id} doesn't exist in environment {environment_id}")
