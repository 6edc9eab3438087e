//! Text read in pieces (split at references, CDATA sections, comments), joined into one value.

use std::borrow::Cow;

/// The text of an element so far: borrowed from the document while it is one piece as
/// written, owned once pieces are joined or line ends normalized.
#[derive(Default)]
pub(super) struct Joined<'a> {
    text: Cow<'a, str>,
}

impl<'a> Joined<'a> {
    /// Appends `piece`. `rest` tells how much text, as written, follows it up to the next
    /// tag: the first join sizes the buffer for all of it (the text can only shrink as
    /// references resolve), so a long body is neither copied again as it grows nor left with
    /// room to spare.
    #[inline]
    pub(super) fn push(&mut self, piece: Cow<'a, str>, rest: impl FnOnce() -> usize) {
        if self.text.is_empty() {
            self.text = piece;
        } else {
            self.owned(piece.len(), rest).push_str(&piece);
        }
    }

    /// Appends `raw` with its line ends normalized as XML 1.0 requires (`\r\n` and a lone
    /// `\r` become `\n`), written straight into the joined text, never into a buffer of its
    /// own.
    pub(super) fn push_eols_normalized(&mut self, raw: Cow<'a, str>, rest: impl FnOnce() -> usize) {
        let Some(first) = memchr::memchr(b'\r', raw.as_bytes()) else {
            return self.push(raw, rest);
        };
        let out = self.owned(raw.len(), rest);
        let b = raw.as_bytes();
        let mut from = 0;
        let mut cr = Some(first);
        while let Some(i) = cr {
            out.push_str(&raw[from..i]);
            out.push('\n');
            from = if b.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            cr = memchr::memchr(b'\r', &b[from..]).map(|k| from + k);
        }
        out.push_str(&raw[from..]);
    }

    /// The text as an owned buffer sized for `more` bytes now and the `rest` to come.
    fn owned(&mut self, more: usize, rest: impl FnOnce() -> usize) -> &mut String {
        if let Cow::Borrowed(first) = self.text {
            let mut joined = String::with_capacity(first.len() + more + rest());
            joined.push_str(first);
            self.text = Cow::Owned(joined);
        }
        self.text.to_mut()
    }

    /// The text read.
    pub(super) fn into_text(self) -> Cow<'a, str> {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::Joined;

    fn joined(pieces: &[(&'static str, bool)]) -> Cow<'static, str> {
        let mut j = Joined::default();
        for &(p, raw) in pieces {
            if raw {
                j.push_eols_normalized(Cow::Borrowed(p), || 0);
            } else {
                j.push(Cow::Borrowed(p), || 0);
            }
        }
        j.into_text()
    }

    #[test]
    fn line_ends_are_normalized_as_the_pieces_are_joined() {
        assert_eq!(joined(&[("a\r\nb\rc\n\r", true)]), "a\nb\nc\n\n");
        assert_eq!(
            joined(&[("x", false), ("\r\n", true), ("<", false), ("\r", true)]),
            "x\n<\n"
        );
        assert_eq!(joined(&[("\r\r\n", true), ("y", false)]), "\n\ny");
        // one piece with nothing to normalize stays borrowed
        assert!(matches!(joined(&[("a\nb", true)]), Cow::Borrowed("a\nb")));
        assert_eq!(joined(&[]), "");
    }
}
