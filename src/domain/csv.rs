//! CSV as RFC 4180 describes it: fields separated by commas, records by CRLF (a bare LF is accepted
//! on input), fields that contain a comma, a quote or a line break are quoted, and a quote inside a
//! quoted field is doubled. Output starts with a UTF-8 byte order mark so that spreadsheet programs
//! (Excel in particular) read Vietnamese text as UTF-8 rather than as the system code page.
//!
//! Written here rather than taken from the `csv` crate: that reader accepts an unclosed quote or
//! text after a closing quote without an error (an import would take a silently merged row instead
//! of telling the admin "line N: …"), and its writer quotes neither formulas nor padded fields.

use std::fmt;

/// The byte order mark spreadsheet programs look for.
pub const BOM: &str = "\u{feff}";

/// Where and why a CSV text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvError {
    /// A quoted field was still open at the end of the text (line where it opened).
    UnclosedQuote { line: usize },
    /// Something other than a separator or line break followed a closing quote.
    TextAfterQuote { line: usize },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::UnclosedQuote { line } => write!(f, "line {line}: a quoted field is never closed"),
            CsvError::TextAfterQuote { line } => write!(f, "line {line}: text follows a closing quote"),
        }
    }
}

/// One record and the line (1-based) it starts on, for error messages that point at the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Parses a whole CSV text into records. A leading BOM is dropped; blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut quoted = false;
    let mut after_quote = false;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty() && !after_quote) {
                    records.push(Record { line: record_line, fields: std::mem::take(&mut fields) });
                }
                fields.clear();
                after_quote = false;
                line += 1;
                record_line = line;
            }
            '"' if field.is_empty() && !after_quote => {
                quoted = true;
                quote_line = line;
            }
            _ if after_quote => return Err(CsvError::TextAfterQuote { line }),
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(CsvError::UnclosedQuote { line: quote_line });
    }
    if !field.is_empty() || !fields.is_empty() || after_quote {
        fields.push(field);
        records.push(Record { line: record_line, fields });
    }
    Ok(records)
}

/// Writes records as CSV: a BOM, then each record on its own CRLF-terminated line.
pub fn write<R, F>(records: R) -> String
where
    R: IntoIterator<Item = F>,
    F: IntoIterator,
    F::Item: AsRef<str>,
{
    let mut out = String::from(BOM);
    for record in records {
        let mut first = true;
        for field in record {
            if !first {
                out.push(',');
            }
            first = false;
            push_field(&mut out, field.as_ref());
        }
        out.push_str("\r\n");
    }
    out
}

fn push_field(out: &mut String, field: &str) {
    // A leading =, +, - or @ makes spreadsheet programs evaluate the cell as a formula (CSV
    // injection); a leading apostrophe keeps it text. Numbers such as "-5" stay numbers.
    let formula = field.starts_with(['=', '+', '@']) || (field.starts_with('-') && field.parse::<f64>().is_err());
    let needs_quotes = formula || field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ');
    if !needs_quotes {
        out.push_str(field);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    out.push_str(&field.replace('"', "\"\""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn reads_plain_quoted_and_multiline_fields() {
        let text = "sku,name,price\r\nVS-1,\"Áo gile, len\",450000\r\nVS-2,\"Nói \"\"chào\"\"\nrồi đi\",\r\n";
        assert_eq!(
            fields(text),
            vec![
                vec!["sku", "name", "price"],
                vec!["VS-1", "Áo gile, len", "450000"],
                vec!["VS-2", "Nói \"chào\"\nrồi đi", ""],
            ]
        );
        let lines: Vec<usize> = parse(text).unwrap().iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 2, 3]);
    }

    #[test]
    fn accepts_bom_bare_lf_blank_lines_and_no_final_newline() {
        assert_eq!(fields("\u{feff}a,b\n\nc,d"), vec![vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(fields("a,\"\"\n"), vec![vec!["a", ""]]);
        assert_eq!(fields(",\n"), vec![vec!["", ""]]);
        assert!(fields("").is_empty());
    }

    #[test]
    fn reports_broken_quoting_with_its_line() {
        assert_eq!(parse("a,b\nc,\"open\nstill open"), Err(CsvError::UnclosedQuote { line: 2 }));
        assert_eq!(parse("a\n\"x\"y,z"), Err(CsvError::TextAfterQuote { line: 2 }));
    }

    #[test]
    fn writes_what_it_reads_back() {
        let rows = vec![
            vec!["sku", "tên", "ghi chú"],
            vec!["VS-1", "Áo gile, len", "dòng 1\ndòng 2"],
            vec!["VS-2", "say \"hi\"", " padded "],
            vec!["-5", "=HYPERLINK(\"x\")", "-abc"],
        ];
        let text = write(rows.clone());
        assert!(text.starts_with(BOM));
        assert!(text.ends_with("\r\n"));
        let back = fields(&text);
        assert_eq!(back[..3], rows[..3].iter().map(|r| r.iter().map(|s| s.to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()[..]);
        // Formulas are neutralised, numbers are not.
        assert_eq!(back[3], vec!["-5", "'=HYPERLINK(\"x\")", "'-abc"]);
    }
}
