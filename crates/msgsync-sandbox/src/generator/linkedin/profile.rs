//! What a LinkedIn conversation participant tells of a member besides the name: a headline,
//! the network distance to the mailbox owner and a profile picture.
//!
//! Shapes, from a conversation listing captured from the live web app and published in
//! UmairRathore/tradeapp (`pythontest/fetchconnections.py`, commit e20c6ed) and
//! mautrix/linkedin (`pkg/linkedingo/conversations.go`, `MemberParticipantInfo`):
//! `profileUrl` is `https://www.linkedin.com/in/<fsd_profile id>`; `distance` is `SELF` for the
//! owner and `DISTANCE_1`… for the others; `profilePicture` is a `VectorImage` whose `rootUrl`
//! is `https://media.licdn.com/dms/image/v2/<asset>/profile-displayphoto-shrink_` and whose
//! artifacts (100, 200, 400 and 800 pixels square) each add
//! `<w>_<h>/profile-displayphoto-shrink_<w>_<h>/0/<upload ms>?e=<expiry s>&v=beta&t=<token>`.

use super::super::common::Params;
use super::super::hash::Rng;
use super::{id_word, token, LICDN, LINKEDIN};
use crate::generator::Person;

/// Salt of the profile stream (apart from `common::salt`, 1–5). Never renumber it.
const PROFILE_SALT: u64 = 0x4c49_0001;

/// The artifacts of a profile picture, smallest first: square, this many pixels a side.
pub(crate) const PICTURE_SIZES: [u32; 4] = [100, 200, 400, 800];
/// A signed picture URL stays valid this long after the anchor (LinkedIn's `e=` is in seconds).
const PICTURE_VALIDITY_S: i64 = 60 * 86_400;

#[rustfmt::skip]
const TITLES: &[&str] = &[
    "Software Engineer", "Product Manager", "Data Scientist", "Technical Recruiter",
    "Account Executive", "Marketing Manager", "UX Designer", "Engineering Manager", "Founder",
    "Consultant", "Sales Director", "HR Business Partner", "DevOps Engineer", "Financial Analyst",
    "Talent Acquisition Specialist", "Head of Growth", "Solutions Architect", "Office Manager",
];

#[rustfmt::skip]
const EMPLOYERS: &[&str] = &[
    "Northwind Traders", "Contoso", "Fabrikam", "Adatum", "Tailspin Toys", "Woodgrove Bank",
    "Litware", "Proseware", "Wingtip Toys", "Fourth Coffee", "Blue Yonder Airlines",
    "Alpine Ski House",
];

/// What a participant record says of a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) headline: String,
    /// LinkedIn's `distance`: `SELF`, `DISTANCE_1`, `DISTANCE_2`, `DISTANCE_3`,
    /// `OUT_OF_NETWORK`.
    pub(crate) distance: &'static str,
    pub(crate) picture: Option<Picture>,
}

/// A profile picture: one upload, served in the four `PICTURE_SIZES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Picture {
    /// The digital media asset id (`D4E03AQ…`).
    pub(crate) asset: String,
    pub(crate) uploaded_ms: i64,
    /// `e=`: when the signed URLs expire, epoch seconds.
    pub(crate) expires_s: i64,
    /// `t=` of each size.
    pub(crate) tokens: [String; PICTURE_SIZES.len()],
}

impl Picture {
    /// `rootUrl` with LinkedIn's media host.
    pub(crate) fn root_url(&self) -> String {
        format!(
            "{LICDN}/dms/image/v2/{}/profile-displayphoto-shrink_",
            self.asset
        )
    }

    /// `fileIdentifyingUrlPathSegment` of artifact `i` (of `PICTURE_SIZES`).
    pub(crate) fn segment(&self, i: usize) -> String {
        let side = PICTURE_SIZES[i];
        format!(
            "{side}_{side}/profile-displayphoto-shrink_{side}_{side}/0/{}?e={}&v=beta&t={}",
            self.uploaded_ms, self.expires_s, self.tokens[i]
        )
    }

    /// The URL of the largest artifact: what a client shows (mautrix/linkedin
    /// `VectorImage.GetLargestArtifactURL`, `pkg/linkedingo/media.go`).
    pub(crate) fn url(&self) -> String {
        self.root_url() + &self.segment(PICTURE_SIZES.len() - 1)
    }
}

fn headline(rng: &mut Rng) -> String {
    let title = rng.pick(TITLES);
    match rng.below(4) {
        0 => format!("{title} | Open to new opportunities"),
        1 => format!("{title} · {}", rng.pick(TITLES)),
        _ => format!("{title} at {}", rng.pick(EMPLOYERS)),
    }
}

/// The profile of a person, the same in every chat they are in. The owner's distance is
/// `SELF`; most people one writes to are first-degree connections.
pub(crate) fn profile(params: &Params, person: &Person, is_self: bool) -> Profile {
    let mut rng = params.rng(PROFILE_SALT, id_word(&person.id), 0);
    let headline = headline(&mut rng);
    let distance = match (is_self, rng.below(100)) {
        (true, _) => "SELF",
        (false, 0..=69) => "DISTANCE_1",
        (false, 70..=84) => "DISTANCE_2",
        (false, 85..=94) => "DISTANCE_3",
        (false, _) => "OUT_OF_NETWORK",
    };
    let picture = (!rng.chance(15)).then(|| Picture {
        asset: format!("D4E03AQ{}", token(&mut rng, 12)),
        uploaded_ms: params.random_ms(&mut rng),
        expires_s: params.anchor_ms / 1000 + PICTURE_VALIDITY_S,
        tokens: std::array::from_fn(|_| token(&mut rng, 43)),
    });
    Profile {
        headline,
        distance,
        picture,
    }
}

/// `https://www.linkedin.com/in/<id>`: the profile URL a participant record carries.
pub(crate) fn profile_url(person: &Person) -> String {
    format!("{LINKEDIN}/in/{}", person.id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use msgsync_core::ProviderKind;

    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn people_have_a_headline_a_distance_and_mostly_a_picture() {
        let params = Params::new(
            ProviderKind::Linkedin,
            &Scenario::default(),
            1_767_225_600_000,
        );
        let owner = params.owner();
        assert_eq!(profile(&params, &owner, true).distance, "SELF");
        let mut distances: HashMap<&str, usize> = HashMap::new();
        let mut pictures = 0;
        for n in 0..400 {
            let person = params.person(n);
            let p = profile(&params, &person, false);
            // The same person, the same profile.
            assert_eq!(p, profile(&params, &person, false));
            assert!(!p.headline.is_empty());
            *distances.entry(p.distance).or_default() += 1;
            if let Some(pic) = &p.picture {
                pictures += 1;
                let url = pic.url();
                assert!(url.starts_with("https://media.licdn.com/dms/image/v2/D4E03AQ"));
                assert!(url.contains(
                    "/profile-displayphoto-shrink_800_800/profile-displayphoto-shrink_800_800/0/"
                ));
            }
        }
        assert_eq!(distances.len(), 4, "{distances:?}");
        assert!(distances["DISTANCE_1"] > 200, "{distances:?}");
        assert!((300..400).contains(&pictures), "{pictures}");
        assert_eq!(
            profile_url(&owner),
            format!("https://www.linkedin.com/in/{}", owner.id)
        );
    }
}
