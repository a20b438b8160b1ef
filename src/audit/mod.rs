//! `leakguard audit`: many repositories, one datastore of incidents with their triage.

pub mod model;
