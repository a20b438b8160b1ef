//! `leakguard audit`: many repositories, one datastore of incidents with their triage.

pub mod html;
pub mod model;
