//! What the terminal wants: colour (`--color`, `NO_COLOR`, a terminal or not) and the width to
//! wrap to (the terminal's, `COLUMNS`, or a default).

use std::ffi::OsStr;
use std::io::IsTerminal;

/// Lines wrap to this many columns when neither a terminal nor `COLUMNS` says otherwise.
pub const DEFAULT_WIDTH: usize = 100;

/// `--color`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour: `always` and `never` decide; `auto` colours a terminal unless `NO_COLOR`
/// is set to a non-empty value (<https://no-color.org>: an empty `NO_COLOR` is ignored).
pub fn color(choice: ColorChoice, to_terminal: bool, no_color: Option<&OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// [`color`] for standard output, with this process's `NO_COLOR`.
pub fn color_stdout(choice: ColorChoice, to_stdout: bool) -> bool {
    color(
        choice,
        to_stdout && std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// The width to wrap to: the terminal's when standard output is one, else `COLUMNS` when set
/// to a number, else [`DEFAULT_WIDTH`].
pub fn width() -> usize {
    let tty = std::io::stdout().is_terminal();
    let measured = if tty {
        terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
    } else {
        None
    };
    pick_width(
        measured,
        std::env::var("COLUMNS").ok().as_deref(),
        DEFAULT_WIDTH,
    )
}

fn pick_width(terminal: Option<usize>, columns: Option<&str>, default: usize) -> usize {
    terminal
        .filter(|w| *w > 0)
        .or_else(|| {
            columns
                .and_then(|c| c.trim().parse().ok())
                .filter(|w| *w > 0)
        })
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_follows_the_standard() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        // auto on a terminal: colour unless NO_COLOR is set and not empty.
        assert!(color(ColorChoice::Auto, true, None));
        assert!(!color(ColorChoice::Auto, true, set));
        assert!(color(ColorChoice::Auto, true, empty));
        // never on a pipe or file.
        assert!(!color(ColorChoice::Auto, false, None));
        // an explicit choice wins over the environment.
        assert!(color(ColorChoice::Always, false, set));
        assert!(!color(ColorChoice::Never, true, None));
    }

    #[test]
    fn width_prefers_the_terminal_then_columns_then_the_default() {
        assert_eq!(pick_width(Some(132), Some("60"), 100), 132);
        assert_eq!(pick_width(None, Some("60"), 100), 60);
        assert_eq!(pick_width(None, Some("wide"), 100), 100);
        assert_eq!(pick_width(None, Some("0"), 100), 100);
        assert_eq!(pick_width(None, None, 100), 100);
    }
}
