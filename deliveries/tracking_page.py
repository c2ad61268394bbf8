"""``/track/{tracking_code}/``: public tracking as a page for people.

The page shows the public tracking answer (``TrackingSerializer``'s data) and nothing
else, in words: this module turns that data into the template's context, and renders
errors (unknown code, too many look-ups) as pages of the same look.
"""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import TemplateHTMLRenderer

from deliveries.models import TRACKING_CODE_LENGTH, DeliveryStatus, EventKind

TEMPLATE = "deliveries/track.html"
ERROR_TEMPLATE = "deliveries/track_error.html"

# The status in words: a heading and a sentence.
STATUS_WORDS = {
    DeliveryStatus.PENDING: ("Order received", "We have your delivery and will plan it soon."),
    DeliveryStatus.ASSIGNED: ("Planned", "A driver and a vehicle are planned for it."),
    DeliveryStatus.IN_TRANSIT: ("On its way", "Your delivery is on its way to you."),
    DeliveryStatus.DELIVERED: ("Delivered", "Your delivery has arrived."),
    DeliveryStatus.FAILED: ("Not delivered", "The delivery could not be made."),
    DeliveryStatus.CANCELLED: ("Cancelled", "This delivery was cancelled."),
}
RUNNING_LATE = "Running late: it is past the agreed time."
# What happened, in words: a status change by the status it led to, other kinds by kind.
STATUS_CHANGE_WORDS = {
    DeliveryStatus.PENDING: "Order received",
    DeliveryStatus.ASSIGNED: "Planned for delivery",
    DeliveryStatus.IN_TRANSIT: "On its way",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.FAILED: "Delivery attempt failed",
    DeliveryStatus.CANCELLED: "Cancelled",
}
EVENT_WORDS = {
    EventKind.LATE: "Running late: past the agreed time",
    EventKind.PROOF: "Proof of delivery recorded",
    EventKind.NOTE: "Note added by the carrier",
}
UNFINISHED = {DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED, DeliveryStatus.IN_TRANSIT}

# Error pages: title and sentence by status code.
NOT_FOUND_TITLE = "Delivery not found"
NOT_FOUND_TEXT = (
    "No delivery has this tracking code. Check the code in the message you received: "
    f"LT and {TRACKING_CODE_LENGTH} more letters and digits."
)
THROTTLED_TITLE = "Too many look-ups"
THROTTLED_TEXT = (
    "This connection has looked up many deliveries in a short time. "
    "Please wait a minute and try again."
)
ERROR_TITLE = "Tracking is not available"
ERROR_TEXT = "Something went wrong on our side. Please try again in a few minutes."
ERROR_PAGES = {
    404: (NOT_FOUND_TITLE, NOT_FOUND_TEXT),
    429: (THROTTLED_TITLE, THROTTLED_TEXT),
}
# The start of an unknown code shown back on its page (an address can be very long).
CODE_SHOWN = 40


def _time(value: str | None) -> dt.datetime | None:
    return parse_datetime(value) if value else None


def _event_words(event: dict) -> str:
    if event["kind"] == EventKind.STATUS_CHANGE:
        return STATUS_CHANGE_WORDS[event["status"]]
    return EVENT_WORDS[event["kind"]]


def _same_day(start: dt.datetime | None, end: dt.datetime | None) -> bool:
    """Whether a window starts and ends on one day where its times are shown."""
    if start is None or end is None:
        return False
    return timezone.localtime(start).date() == timezone.localtime(end).date()


def tracking_page_context(tracking: dict) -> dict:
    """The page's context from the public tracking answer (``TrackingSerializer``'s data):
    the status and each event in words, times as datetimes, the newest event first."""
    status = tracking["status"]
    heading, sentence = STATUS_WORDS[status]
    events = [
        {"at": _time(event["at"]), "kind": event["kind"], "words": _event_words(event)}
        for event in reversed(tracking["events"])
    ]
    window_start, window_end = _time(tracking["window_start"]), _time(tracking["window_end"])
    return {
        "title": f"{heading} — delivery {tracking['tracking_code']}",
        "tracking_code": tracking["tracking_code"],
        "status": status,
        "status_words": heading,
        "status_sentence": sentence,
        "running_late": status in UNFINISHED
        and any(event["kind"] == EventKind.LATE for event in events),
        "running_late_words": RUNNING_LATE,
        "window_start": window_start,
        "window_end": window_end,
        "window_same_day": _same_day(window_start, window_end),
        "scheduled_for": _time(tracking["scheduled_for"]),
        "delivered_at": _time(tracking["delivered_at"]),
        "eta": _time(tracking["eta"]),
        "events": events,
    }


class TrackingPageRenderer(TemplateHTMLRenderer):
    """The tracking page; an error (404, 429, …) as a page of the same look."""

    template_name = TEMPLATE
    exception_template_names = [ERROR_TEMPLATE]

    def get_template_context(self, data, renderer_context):
        response = renderer_context["response"]
        if not response.exception:
            return data
        title, text = ERROR_PAGES.get(response.status_code, (ERROR_TITLE, ERROR_TEXT))
        code = str(renderer_context.get("kwargs", {}).get("tracking_code", ""))
        return {
            "title": title,
            "text": text,
            "status_code": response.status_code,
            "code": code[:CODE_SHOWN] + ("…" if len(code) > CODE_SHOWN else ""),
        }


class TrackingPageNegotiation(DefaultContentNegotiation):
    """The page whatever ``Accept`` asks: a person's browser, an error included."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
