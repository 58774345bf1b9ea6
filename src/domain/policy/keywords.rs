//! Matching a category's keywords against a task's text, the way a receptionist reading it would:
//! case does not matter, a keyword matches whole words only ("refer" is not found inside
//! "preferred" or "reference"), a multi-word keyword matches as a phrase whatever punctuation or
//! spacing sits between its words ("fit note", "fit-note"), and the last word may carry a plain
//! English ending ("results", "x-rays", "referred", "referring"), because senders write the
//! keyword in whatever form the sentence needs.

/// Endings a keyword's last word may carry and still count as the same word. Kept to plurals and
/// the regular verb forms: a looser stem would let a short keyword match unrelated words.
const ENDINGS: [&str; 5] = ["s", "es", "d", "ed", "ing"];

/// Text as lowercase words, split at anything that is not a letter or a digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Words(Vec<String>);

impl Words {
    pub(super) fn of(text: &str) -> Self {
        Self(
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect(),
        )
    }

    /// Whether `keyword` appears as a word or phrase. A keyword with no letters or digits never
    /// matches, so a blank entry in the config cannot flag every task.
    pub(super) fn contain(&self, keyword: &str) -> bool {
        let wanted = Words::of(keyword).0;
        let Some((last, leading)) = wanted.split_last() else {
            return false;
        };
        self.0.windows(wanted.len()).any(|window| {
            window[..leading.len()] == *leading && is_form_of(&window[leading.len()], last)
        })
    }
}

/// Whether `word` is `stem` or `stem` with one of the allowed endings, including the doubled
/// final consonant of "referred" and "referring".
fn is_form_of(word: &str, stem: &str) -> bool {
    let Some(ending) = word.strip_prefix(stem) else {
        return false;
    };
    if ending.is_empty() || ENDINGS.contains(&ending) {
        return true;
    }
    let Some(last) = stem.chars().last() else {
        return false;
    };
    ending
        .strip_prefix(last)
        .is_some_and(|rest| rest == "ed" || rest == "ing")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words_in_any_case() {
        let words = Words::of("Please REFER to dermatology; preferred method is NHSmail.");
        assert!(words.contain("refer"));
        assert!(words.contain("Dermatology"));
        assert!(!Words::of("our preferred method, reference 12").contain("refer"));
        assert!(!Words::of("resultant").contain("result"));
    }

    #[test]
    fn phrases_ignore_punctuation_between_words_and_take_endings_on_the_last() {
        assert!(Words::of("New fit-notes needed").contain("fit note"));
        assert!(Words::of("the X-Rays from Tuesday").contain("x-ray"));
        assert!(Words::of("patient was referred").contain("refer"));
        assert!(Words::of("referring on").contain("refer"));
        assert!(!Words::of("fit for work; note attached").contain("fit note"));
        assert!(!Words::of("fits note").contain("fit note"));
    }

    #[test]
    fn a_blank_keyword_matches_nothing() {
        assert!(!Words::of("anything at all").contain("  "));
        assert!(!Words::of("").contain("result"));
    }
}
