//! Which format a file is in, when `--format` does not say: the extension when it is one of
//! ours, else a look at the content. JSON that parses whole is a Bundle (or a lone Task); JSON
//! whose first line parses on its own is NDJSON, one resource a line; other JSON is a broken
//! document, read as a Bundle so the error names its line; anything else is CSV.

use std::path::Path;

use super::Format;

pub fn detect_format(path: &Path, bytes: &[u8]) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => return Format::Csv,
        Some("ndjson" | "jsonl") => return Format::Ndjson,
        _ => {}
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = text
        .split(|b| *b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or_default();
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') if parses(text) => Format::Bundle,
        // One resource a line: the first line stands on its own.
        Some(b'{') if parses(first_line) => Format::Ndjson,
        // A pretty-printed document with a fault: the Bundle reader names its line, where
        // reading it as NDJSON would blame every line.
        Some(b'{') => Format::Bundle,
        _ if ext.as_deref() == Some("json") => Format::Bundle,
        _ => Format::Csv,
    }
}

fn parses(json: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_first_then_content() {
        assert_eq!(detect_format(Path::new("a.CSV"), b"{}"), Format::Csv);
        assert_eq!(detect_format(Path::new("a.jsonl"), b"x"), Format::Ndjson);
        let one_doc = b"\xEF\xBB\xBF\n{\"resourceType\": \"Bundle\",\n \"entry\": []}\n";
        assert_eq!(detect_format(Path::new("export"), one_doc), Format::Bundle);
        let lines = b"{\"resourceType\":\"Task\"}\n{\"resourceType\":\"Task\"}\n";
        assert_eq!(
            detect_format(Path::new("export.json"), lines),
            Format::Ndjson
        );
        assert_eq!(
            detect_format(Path::new("export.txt"), b"source_id,received"),
            Format::Csv
        );
    }
}
