//! Rendered-diagnostic snapshots of erroneous .nnd files (filled in by the checker work).
