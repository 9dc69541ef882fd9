//! The command line documents itself: every flag and argument of every subcommand has help text,
//! and no two flags of one subcommand share a short letter.

use std::collections::BTreeMap;

use super::command;

fn walk(c: &clap::Command, path: &str, problems: &mut Vec<String>) {
    let mut shorts: BTreeMap<char, String> = BTreeMap::new();
    for a in c.get_arguments() {
        let id = a.get_id().as_str();
        if matches!(id, "help" | "version") {
            continue;
        }
        let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        if help.trim().is_empty() {
            problems.push(format!("{path}: `{id}` has no help text"));
        }
        if let Some(s) = a.get_short() {
            if let Some(other) = shorts.insert(s, id.to_string()) {
                problems.push(format!("{path}: -{s} is both `{other}` and `{id}`"));
            }
        }
    }
    for sub in c.get_subcommands() {
        if sub.get_about().is_none() {
            problems.push(format!("{path} {}: no description", sub.get_name()));
        }
        walk(sub, &format!("{path} {}", sub.get_name()), problems);
    }
}

#[test]
fn every_flag_has_help_and_short_flags_do_not_clash() {
    let c = command();
    c.clone().debug_assert();
    let mut problems = Vec::new();
    walk(&c, "plaudit", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_common_options_have_the_same_short_flag_everywhere() {
    let c = command();
    let short = |sub: &str, id: &str| {
        c.find_subcommand(sub)
            .and_then(|s| s.get_arguments().find(|a| a.get_id() == id))
            .and_then(|a| a.get_short())
    };
    for sub in ["audit", "snapshot"] {
        assert_eq!(short(sub, "manifest"), Some('m'), "{sub}");
        assert_eq!(short(sub, "profile"), Some('p'), "{sub}");
        assert_eq!(short(sub, "region"), Some('r'), "{sub}");
    }
    assert_eq!(short("audit", "format"), Some('f'));
    assert_eq!(short("audit", "output"), Some('o'));
    assert_eq!(short("audit", "snapshot"), Some('s'));
    assert_eq!(short("snapshot", "out"), Some('o'));
    assert_eq!(short("rules", "format"), Some('f'));
    assert_eq!(short("explain", "format"), Some('f'));
    assert_eq!(short("explain", "region"), Some('r'));
}
