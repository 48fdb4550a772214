"""Small updates: a connection is sent only the sections it lacks (web/render.py)."""

from __future__ import annotations

from web.render import HEAD_END, HEAD_START, SEP, Frame, LiveFrames, parse_frame


def rendered(seq: int, status: str, lines: list[str]) -> Frame:
    """A screen of two sections as the html format renders it, cut by parse_frame."""
    items = "".join(f"<li>{line}</li>" for line in lines)
    sections = [
        f'<div id="status" hx-swap-oob="true">{status}</div>',
        f'<div id="chat-log" hx-swap-oob="true"><ul>{items}</ul></div>',
        "",  # a section that says nothing in a live update (a form being filled in)
    ]
    frame = parse_frame(f"{HEAD_START}seq={seq}{HEAD_END}" + SEP.join(sections) + SEP)
    assert frame is not None
    return frame


def test_a_connection_gets_the_changed_sections_and_new_lines_only() -> None:
    frames = LiveFrames()
    first = frames.diff(rendered(3, "negotiation", ["b", "a"]))
    assert first is not None and first.startswith("<!--compact seq=3 full=1-->")
    assert 'id="status"' in first and "<li>a</li>" in first
    # Nothing changed on this screen (another team's bilateral): nothing is sent.
    assert frames.diff(rendered(4, "negotiation", ["b", "a"])) is None
    # A new line at the top, the oldest falling off at the cap: the line and a keep.
    small = frames.diff(rendered(5, "negotiation", ["c", "b"]))
    assert small == (
        '<!--compact seq=5 base=3 keep=chat-log:2--><ul hx-swap-oob="afterbegin:#chat-log>ul">'
        "<li>c</li></ul>"
    )
    # Another section changed: that section alone.
    phase = frames.diff(rendered(6, "implementation", ["c", "b"]))
    assert phase is not None and "implementation" in phase and "chat-log" not in phase
    # A resync starts again from the whole screen.
    frames.reset()
    again = frames.diff(rendered(6, "implementation", ["c", "b"]))
    assert again is not None and "full=1" in again and "<li>b</li>" in again


def test_anything_but_a_rendered_view_passes_as_it_is() -> None:
    assert parse_frame('{"type": "pong", "seq": 3}') is None
    assert parse_frame('<span id="online-x" hx-swap-oob="true"></span>') is None
