//! Drawings of a plan: the arena over time as text and as SVG.
