//! Built-in rules against synthetic secrets.
