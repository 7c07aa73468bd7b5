"""Per-frame features of a call over its block passes, and the leak stage."""

from callscan.frames.passes import Frames, frame_features

__all__ = ["Frames", "frame_features"]
