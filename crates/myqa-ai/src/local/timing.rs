//! Timestamps for observations of transcribed audio: where each observation's
//! text lies among the transcription segments.

use crate::TimedSegment;

/// The segments' text with all whitespace removed, so that a sentence is found
/// however the segments were joined (spaces, newlines) or wrapped.
pub(crate) struct SegmentIndex<'a> {
    segments: &'a [TimedSegment],
    text: String,
    /// Byte offset in `text` where each segment's text starts.
    starts: Vec<usize>,
    /// Where the last search ended: observations come in transcript order, so
    /// searching on from here keeps the whole pass linear.
    cursor: usize,
}

impl<'a> SegmentIndex<'a> {
    pub(crate) fn new(segments: &'a [TimedSegment]) -> SegmentIndex<'a> {
        let mut text = String::new();
        let mut starts = Vec::with_capacity(segments.len());
        for segment in segments {
            starts.push(text.len());
            text.extend(segment.text.chars().filter(|c| !c.is_whitespace()));
        }
        SegmentIndex {
            segments,
            text,
            starts,
            cursor: 0,
        }
    }

    /// Start of the segment where `first` begins and end of the segment where
    /// `last` ends (the first and last sentences of an observation), or
    /// `None` when the text is not found in the segments.
    pub(crate) fn span(&mut self, first: &str, last: &str) -> Option<(u64, u64)> {
        let (first_at, first_end) = self.find(first)?;
        self.cursor = first_at;
        let (_, end) = self.find(last).unwrap_or((first_at, first_end));
        self.cursor = first_at;
        let start_ms = self.segments[self.segment_at(first_at)].start_ms;
        let end_ms = self.segments[self.segment_at(end - 1)].end_ms;
        Some((start_ms, end_ms.max(start_ms)))
    }

    /// Byte range of `needle` (whitespace removed) in the index text, searched
    /// from the cursor first and from the start if not found after it.
    fn find(&self, needle: &str) -> Option<(usize, usize)> {
        let needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
        if needle.is_empty() {
            return None;
        }
        let at = self.text[self.cursor..]
            .find(&needle)
            .map(|at| at + self.cursor)
            .or_else(|| self.text[..self.cursor.min(self.text.len())].find(&needle))?;
        Some((at, at + needle.len()))
    }

    fn segment_at(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start_ms: u64, end_ms: u64, text: &str) -> TimedSegment {
        TimedSegment {
            start_ms,
            end_ms,
            text: text.to_owned(),
        }
    }

    #[test]
    fn sentences_map_to_the_segments_they_span() {
        let segments = [
            seg(0, 1000, "Good morning."),
            seg(1000, 4000, "The divert test sign-off for"),
            seg(4000, 6500, "Tuesday is blank."),
            seg(6500, 9000, "Please fix it."),
        ];
        let mut index = SegmentIndex::new(&segments);
        assert_eq!(
            index.span(
                "The divert test sign-off for Tuesday is blank.",
                "The divert test sign-off for Tuesday is blank."
            ),
            Some((1000, 6500))
        );
        assert_eq!(
            index.span("Please fix it.", "Please fix it."),
            Some((6500, 9000))
        );
        assert_eq!(
            index.span("Good morning.", "Please fix it."),
            Some((0, 9000))
        );
        assert_eq!(index.span("Not said at all.", "Not said at all."), None);
    }
}
