//! Text for a terminal: word wrapping to a width, and the small Markdown plaudit writes itself
//! (`explain`, the rule catalogue) rendered as plain or ANSI text.
//!
//! Only plaudit's own Markdown goes through [`markdown_to_text`]: headings, `**strong**`,
//! `` `code` ``, `[text](url)` links, `- ` lists, pipe tables and HTML comments. Text from the
//! audited account never does (it is escaped with [`super::plain`] where it is printed).

/// A width narrower than this is treated as this: wrapping into a few columns helps nobody.
const MIN_WIDTH: usize = 40;

/// Splits `text` into lines of at most `width` characters, breaking at spaces. A word longer than
/// the width (an ARN, a URL) stands alone on its line rather than being cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let wlen = word.chars().count();
        if len > 0 && len + 1 + wlen > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += wlen;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` wrapped to `width`, the first line after `first` and the others after `rest` (a
/// hanging indent, so continuation lines stay in their column). `width` 0 means no wrapping.
pub fn hang(first: &str, rest: &str, text: &str, width: usize) -> String {
    if width == 0 {
        return format!("{first}{text}");
    }
    let avail = width
        .max(MIN_WIDTH)
        .saturating_sub(rest.chars().count().max(first.chars().count()));
    wrap(text, avail.max(MIN_WIDTH / 2))
        .into_iter()
        .enumerate()
        .map(|(i, l)| format!("{}{l}", if i == 0 { first } else { rest }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How [`markdown_to_text`] styles its output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// ANSI bold / underline / colour (only on a terminal, and not under `NO_COLOR`).
    pub color: bool,
    /// Wrap paragraphs, list items and tables to this many columns.
    pub width: usize,
}

/// Renders plaudit's own Markdown for a terminal: no `#`, `**`, backticks or link syntax is
/// left; headings are bold (or underlined without colour), lists are indented and wrapped,
/// tables are aligned columns when they fit the width, one block per row otherwise.
pub fn markdown_to_text(md: &str, style: Style) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim_start();
        if t.starts_with("<!--") {
            // Skip the comment, single- or multi-line.
            while i < lines.len() && !lines[i].contains("-->") {
                i += 1;
            }
            i += 1;
            continue;
        }
        if t.starts_with('|') {
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(lines[i]);
                i += 1;
            }
            out.push_str(&table(&rows, style));
            continue;
        }
        if let Some(h) = heading(t) {
            let h = inline(h, false);
            if style.color {
                out.push_str(&format!("\x1b[1;4m{h}\x1b[0m\n"));
            } else {
                out.push_str(&format!("{h}\n{}\n", "=".repeat(h.chars().count())));
            }
        } else if let Some(item) = t.strip_prefix("- ") {
            out.push_str(&hang(
                "  * ",
                "    ",
                &inline(item, style.color),
                style.width,
            ));
            out.push('\n');
        } else if t.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&hang("", "", &inline(t, style.color), style.width));
            out.push('\n');
        }
        i += 1;
    }
    out
}

fn heading(t: &str) -> Option<&str> {
    let rest = t.trim_start_matches('#');
    (rest.len() < t.len() && rest.starts_with(' ')).then(|| rest.trim())
}

/// Inline Markdown to text: `**x**` and `` `x` `` lose their markers (bold / cyan with colour),
/// `[t](u)` becomes `t (u)`, and backslash escapes are resolved.
fn inline(s: &str, color: bool) -> String {
    let mut o = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let (mut bold, mut code) = (false, false);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if !code && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                o.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '*' if !code && chars.get(i + 1) == Some(&'*') => {
                bold = !bold;
                if color {
                    o.push_str(if bold { "\x1b[1m" } else { "\x1b[0m" });
                }
                i += 2;
                continue;
            }
            '`' => {
                code = !code;
                if color {
                    o.push_str(if code { "\x1b[36m" } else { "\x1b[0m" });
                }
            }
            '[' if !code => {
                // `[text](url)`: keep both, without the syntax.
                if let Some((text, url, next)) = link(&chars, i) {
                    if text == url {
                        o.push_str(&text);
                    } else {
                        o.push_str(&format!("{text} ({url})"));
                    }
                    i = next;
                    continue;
                }
                o.push(c);
            }
            _ => o.push(c),
        }
        i += 1;
    }
    if color && (bold || code) {
        o.push_str("\x1b[0m");
    }
    o
}

/// A `[text](url)` starting at `chars[at]`: its text, its url and the index after it.
fn link(chars: &[char], at: usize) -> Option<(String, String, usize)> {
    let close = (at + 1..chars.len()).find(|&j| chars[j] == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = (close + 2..chars.len()).find(|&j| chars[j] == ')')?;
    let text: String = chars[at + 1..close].iter().collect();
    let url: String = chars[close + 2..end].iter().collect();
    Some((text, url, end + 1))
}

/// The cells of a pipe-table row, unescaped (`\|` is a pipe inside a cell).
fn cells(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = row.trim().chars().peekable();
    if chars.peek() == Some(&'|') {
        chars.next();
    }
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn table(rows: &[&str], style: Style) -> String {
    let mut parsed: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cells(r))
        .filter(|c| {
            !c.iter()
                .all(|x| !x.is_empty() && x.chars().all(|ch| ch == '-' || ch == ':'))
        })
        .map(|c| c.iter().map(|x| inline(x, false)).collect())
        .collect();
    if parsed.is_empty() {
        return String::new();
    }
    let head = parsed.remove(0);
    let ncol = head.len();
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in &parsed {
        for (j, c) in r.iter().enumerate().take(ncol) {
            widths[j] = widths[j].max(c.chars().count());
        }
    }
    let total: usize = widths.iter().sum::<usize>() + 2 * ncol;
    let mut s = String::new();
    let bold = |t: &str| {
        if style.color {
            format!("\x1b[1m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    if total <= style.width.max(MIN_WIDTH) {
        let line = |r: &[String]| {
            let mut l = String::new();
            for (j, w) in widths.iter().enumerate() {
                let c = r.get(j).map(String::as_str).unwrap_or("");
                l.push_str(&format!("  {c:<w$}"));
            }
            l.trim_end().to_string()
        };
        s.push_str(&bold(&line(&head)));
        s.push('\n');
        s.push_str(&format!(
            "  {}\n",
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  ")
        ));
        for r in &parsed {
            s.push_str(&line(r));
            s.push('\n');
        }
    } else {
        // Too wide for aligned columns: one block per row, the first cell as its title.
        let label = head.iter().map(|h| h.chars().count()).max().unwrap_or(0) + 2;
        for r in &parsed {
            let title = r.first().map(String::as_str).unwrap_or("");
            s.push_str(&format!("  {}\n", bold(title)));
            for (j, h) in head.iter().enumerate().skip(1) {
                let c = r.get(j).map(String::as_str).unwrap_or("");
                let first = format!("    {:<label$}", format!("{h}:"));
                let rest = " ".repeat(4 + label);
                s.push_str(&hang(&first, &rest, c, style.width));
                s.push('\n');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(
            wrap("x arn:aws:iam::565502421330:role/r y", 10),
            ["x", "arn:aws:iam::565502421330:role/r", "y"]
        );
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn hang_indents_continuations_under_the_first_line() {
        let t = hang("fix: ", "     ", &"word ".repeat(30), 60);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.len() > 1, "{t}");
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{t}");
        assert!(lines[0].starts_with("fix: word"));
        assert!(lines[1..].iter().all(|l| l.starts_with("     word")), "{t}");
    }

    #[test]
    fn markdown_loses_its_syntax() {
        let md = "## PL-X-001\n\n**Title here**\n\n- Severity: high\n- Reads: `a.json`\n\nSee [the docs](https://x.example/y) and \\*this\\*.\n\n| A | B |\n|---|---|\n| tcp 443 | x \\| y |\n";
        let t = markdown_to_text(
            md,
            Style {
                color: false,
                width: 80,
            },
        );
        for raw in ["##", "**", "`", "](", "|---", "\\*"] {
            assert!(!t.contains(raw), "{raw:?} in:\n{t}");
        }
        assert!(t.contains("PL-X-001\n========"), "{t}");
        assert!(t.contains("the docs (https://x.example/y)"), "{t}");
        assert!(t.contains("  * Reads: a.json"), "{t}");
        assert!(t.contains("tcp 443  x | y"), "{t}");
        assert!(t.contains("*this*"), "{t}");
    }

    #[test]
    fn a_wide_table_becomes_one_block_per_row() {
        let md = format!(
            "| Ports | Source |\n|---|---|\n| tcp 443 | {} |\n",
            "s ".repeat(60)
        );
        let t = markdown_to_text(
            &md,
            Style {
                color: false,
                width: 50,
            },
        );
        assert!(t.contains("  tcp 443\n    Source:"), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 50), "{t}");
    }

    #[test]
    fn colour_only_when_asked() {
        let md = "## H\n\n**b** `c`\n";
        let plain = markdown_to_text(
            md,
            Style {
                color: false,
                width: 80,
            },
        );
        let ansi = markdown_to_text(
            md,
            Style {
                color: true,
                width: 80,
            },
        );
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(ansi.contains("\x1b[1m"), "{ansi}");
    }
}
