"""The framing of change events: any message, cut into frames a transport carries, comes back whole
and in order at every other process, and never at the one that sent it."""

from __future__ import annotations

from lbpy._connectors._change_bus import Reassembly, frames
from lbpy._connectors.sql._notify import FRAME_LIMIT, default_channel


def test_a_message_too_large_for_one_notify_is_cut_between_characters():
    message = '{"title": "' + "é€😀x" * 4000 + '"}'
    cut = frames("a1", 7, message, FRAME_LIMIT)
    assert len(cut) > 1 and all(len(frame.encode()) <= FRAME_LIMIT for frame in cut)
    receiver = Reassembly("b2")
    assert [receiver.feed(frame) for frame in cut] == [None] * (len(cut) - 1) + [message]


def test_frames_of_several_senders_interleave_and_a_sender_skips_its_own():
    one = frames("a1", 1, "x" * 20000, FRAME_LIMIT)
    two = frames("c3", 1, "short", FRAME_LIMIT)
    receiver = Reassembly("b2")
    got = [receiver.feed(frame) for frame in [one[0], *two, *one[1:]]]
    assert [m for m in got if m is not None] == ["short", "x" * 20000]
    assert [Reassembly("a1").feed(frame) for frame in one] == [None] * len(one)


def test_a_message_missing_a_frame_is_dropped_not_garbled():
    first = frames("a1", 1, "y" * 20000, FRAME_LIMIT)
    second = frames("a1", 2, "next", FRAME_LIMIT)
    receiver = Reassembly("b2")
    got = [receiver.feed(frame) for frame in [first[0], *first[2:], *second]]
    assert [m for m in got if m is not None] == ["next"]
    assert receiver.feed("not a frame") is None


def test_channel_names_fit_postgresql():
    assert default_channel(None) == default_channel("public") == "lbpy_changes"
    assert default_channel("shop") == "lbpy_changes.shop"
    assert len(default_channel("s" * 63).encode()) <= 63
