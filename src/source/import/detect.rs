//! Which format a file is in, when `--format` does not say: the extension when it is one of
//! ours, else a look at the content. A JSON document that parses whole is a Bundle (or a lone
//! Task); JSON that does not parse whole is taken as NDJSON, one resource a line; anything
//! else is CSV.

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
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') if serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() => {
            Format::Bundle
        }
        Some(b'{') => Format::Ndjson,
        _ if ext.as_deref() == Some("json") => Format::Bundle,
        _ => Format::Csv,
    }
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
