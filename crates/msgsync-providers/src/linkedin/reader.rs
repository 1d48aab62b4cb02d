//! What reading LinkedIn's answers needs to know of a session, so that the answers can be read
//! apart from the requests that fetch them (the walks in `conversations`, `messages` and
//! `sales`, and the fuzz targets through [`super::fuzzing`]).

use super::skipped::Skipped;

/// The reader of one session's answers.
pub(crate) struct Reader<'a> {
    /// The mailbox owner's member id (`ACoAA…`).
    pub owner: &'a str,
    /// LinkedIn's web address: shared posts and Sales Navigator leads link there.
    pub web: &'a str,
    /// Where the records that cannot be used are counted.
    pub skipped: &'a Skipped,
}
