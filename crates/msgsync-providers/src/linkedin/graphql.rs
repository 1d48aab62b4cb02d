//! Running a messenger GraphQL query by whichever known id LinkedIn runs (`queries`), and
//! reading its `data` as leniently as working clients do.

use serde_json::value::RawValue;

use super::client::Answer;
use super::queries::Query;
use super::restli::{encode, Value as R};
use super::session::LinkedinSession;
use super::skipped::Skipped;
use super::wire::{Collection, GraphqlAnswer};
use super::GRAPHQL_PATH;
use crate::ProviderError;

/// How much of an answer an error may quote.
const QUOTE: usize = 200;

impl LinkedinSession {
    /// The body of the answer to `query` with `variables`, under `field` of its `data`, and
    /// the id that gave it. An id that LinkedIn refuses, or whose answer has no `field` (the
    /// id of another variant of the query), gives way to the next known one; when none is left
    /// the ids are discovered again (once per session) before the query fails.
    pub(super) async fn query(
        &self,
        query: Query,
        variables: &R,
        field: &str,
    ) -> Result<(String, bytes::Bytes), ProviderError> {
        let mut failed: Vec<String> = Vec::new();
        let needle = format!("\"{field}\"");
        loop {
            let id = self.queries.id(query);
            let path = format!(
                "{GRAPHQL_PATH}?queryId={}&variables={}",
                encode(&id),
                variables.write()
            );
            let why = match self.client.graphql(&path).await? {
                Answer::Body(body) if memchr_str(&body, &needle) => return Ok((id, body)),
                Answer::Body(body) => format!(
                    "LinkedIn answered {id} without `data.{field}`: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(QUOTE)
                        .collect::<String>()
                ),
                Answer::Refused(why) => format!("LinkedIn refused {id}: {why}"),
            };
            tracing::info!(query = query.name(), %id, reason = %why, "a query id did not work; trying the next one");
            failed.push(id);
            if self.next_id(query, &failed).await? {
                continue;
            }
            return Err(self.queries.exhausted(query, &why));
        }
    }

    /// Moves `query` on to another id after the current one failed: the next known one, else
    /// the ones a new discovery finds. Whether there is one to try.
    pub(super) async fn next_id(
        &self,
        query: Query,
        failed: &[String],
    ) -> Result<bool, ProviderError> {
        if self.queries.advance(query) {
            return Ok(true);
        }
        if self.queries.may_refresh() && self.rediscover().await? {
            self.queries.restart(failed);
            let fresh = self.queries.id(query);
            return Ok(!failed.contains(&fresh));
        }
        Ok(false)
    }
}

fn memchr_str(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The collection of `data.<field>` (picked from `data` by `pick`). `errors` next to usable
/// data are noted and the data used, as GraphQL answers partial data with the errors of the
/// fields it could not resolve; `errors` alone fail the page.
pub(super) fn data_field<'a, D, T>(
    skipped: &Skipped,
    answer: GraphqlAnswer<'a, D>,
    field: &str,
    pick: impl FnOnce(D) -> Option<Collection<'a, T>>,
) -> Result<Collection<'a, T>, ProviderError> {
    let errors = answer.errors.map(RawValue::get);
    match answer.data.and_then(pick) {
        Some(collection) => {
            if errors.is_some_and(|e| e != "null" && e != "[]") {
                skipped.note("GraphQL errors next to usable data", 1);
            }
            Ok(collection)
        }
        None => Err(ProviderError::Protocol(match errors {
            Some(errors) => format!(
                "LinkedIn GraphQL errors: {}",
                errors.chars().take(QUOTE).collect::<String>()
            ),
            None => format!("LinkedIn's answer has no `data.{field}`"),
        })),
    }
}
