//! Wall-clock time as the datastore and the reports write it.

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A time in milliseconds since the epoch as RFC 3339, UTC, to the second.
pub fn rfc3339(ms: i64) -> String {
    let t = gix::date::Time::new(ms.div_euclid(1000), 0);
    t.format_or_unix(gix::date::time::format::ISO8601_STRICT)
        .replace("+00:00", "Z")
}
