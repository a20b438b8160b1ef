//! The fixtures/ tree.
