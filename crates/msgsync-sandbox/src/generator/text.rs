//! Words, names and titles the generated data is made of.

use super::hash::Rng;

// Dense lists: rustfmt would put one word a line.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "meeting", "project", "tomorrow", "thanks", "great", "update", "call", "today", "deadline",
    "review", "draft", "team", "launch", "budget", "client", "proposal", "schedule", "coffee",
    "morning", "afternoon", "weekend", "report", "numbers", "quarter", "plan", "idea", "quick",
    "question", "answer", "details", "contract", "offer", "interview", "role", "position",
    "candidate", "experience", "skills", "remote", "office", "travel", "conference", "slides",
    "agenda", "notes", "feedback", "design", "product", "release", "version", "issue", "fix",
    "test", "data", "dashboard", "metrics", "growth", "market", "partner", "intro", "follow", "up",
    "send", "share", "check", "confirm", "book", "move", "join", "discuss", "finish", "start",
    "ready", "soon", "later", "maybe", "sure", "perfect", "sounds", "good", "let", "know", "next",
    "week", "friday", "monday", "the", "a", "our", "your", "this", "that", "with", "about", "for",
    "on", "in", "and", "we", "you", "it", "is", "can", "will", "should",
];

#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Giulia", "Hugo", "Inès", "Jonas",
    "Karin", "Liam", "Maya", "Nikolai", "Olivia", "Pablo", "Quentin", "Rosa", "Sami", "Tara",
    "Ugo", "Vera", "William", "Xenia", "Yusuf", "Zoé", "Amir", "Beatriz", "Chen", "Dara", "Elena",
    "Felix",
];

#[rustfmt::skip]
const LAST_NAMES: &[&str] = &[
    "Martin", "Schmidt", "Rossi", "García", "Dubois", "Nowak", "Jensen", "Silva", "Kowalski",
    "Müller", "Bernard", "Romano", "López", "Moreau", "Novak", "Larsen", "Costa", "Fischer",
    "Ricci", "Fernández", "Laurent", "Horvat", "Nielsen", "Pereira", "Weber", "Bianchi", "Ortiz",
    "Girard", "Kovač", "Berg", "Santos", "Wagner",
];

#[rustfmt::skip]
const COMPANIES: &[&str] = &[
    "Acme", "Globex", "Initech", "Umbrella Labs", "Hooli", "Vandelay", "Stark Analytics",
    "Wayne Logistics", "Cyberdyne", "Soylent", "Tyrell", "Wonka Foods",
];

#[rustfmt::skip]
const TOPICS: &[&str] = &[
    "Product", "Marketing", "Design", "Hiring", "Data", "Sales", "Ops", "Growth", "Research",
    "Support", "Finance", "Platform",
];

const GROUP_PATTERNS: &[&str] = &[
    "{} team",
    "{} sync",
    "Project {}",
    "{} weekly",
    "{} & friends",
];

const CHANNEL_PATTERNS: &[&str] = &["{} News", "Daily {}", "{} Digest", "{} Updates"];

const SUBJECT_PATTERNS: &[&str] = &[
    "Opportunity at {}",
    "Quick question from {}",
    "{} is hiring",
    "Partnership with {}",
    "Intro: {}",
];

pub(crate) const REACTIONS: &[&str] = &["👍", "❤️", "😂", "👏", "🎉", "🔥", "😮", "🙏"];

pub(crate) fn person_name(rng: &mut Rng) -> String {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    format!("{first} {last}")
}

pub(crate) fn group_title(rng: &mut Rng) -> String {
    let pattern = *rng.pick(GROUP_PATTERNS);
    let word = *rng.pick(TOPICS);
    pattern.replace("{}", word)
}

pub(crate) fn channel_title(rng: &mut Rng) -> String {
    let pattern = *rng.pick(CHANNEL_PATTERNS);
    let word = *rng.pick(TOPICS);
    pattern.replace("{}", word)
}

pub(crate) fn inmail_subject(rng: &mut Rng) -> String {
    let pattern = *rng.pick(SUBJECT_PATTERNS);
    let word = *rng.pick(COMPANIES);
    pattern.replace("{}", word)
}

/// One to three sentences of three to fourteen words.
pub(crate) fn sentences(rng: &mut Rng) -> String {
    let count = rng.range(1, 3);
    let mut out = String::new();
    for s in 0..count {
        if s > 0 {
            out.push(' ');
        }
        let words = rng.range(3, 14);
        for w in 0..words {
            let word = *rng.pick(WORDS);
            if w == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(word);
            }
        }
        out.push(*rng.pick(&['.', '.', '.', '?', '!']));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_look_like_sentences() {
        let mut rng = Rng::new(&[3]);
        for _ in 0..200 {
            let s = sentences(&mut rng);
            assert!(s.chars().next().is_some_and(char::is_uppercase), "{s}");
            assert!(s.ends_with(['.', '?', '!']), "{s}");
            assert!(s.split(' ').count() >= 3, "{s}");
        }
        assert!(!group_title(&mut rng).contains("{}"));
        assert!(!channel_title(&mut rng).contains("{}"));
        assert!(!inmail_subject(&mut rng).contains("{}"));
    }
}
