//! `netcount --generate KIND`: a man page or a shell's completion script,
//! written from the flag table and the help pages, so that a flag added to
//! the table appears in all of them.
//!
//! | kind | install as (for example) |
//! | --- | --- |
//! | `man` | `/usr/local/share/man/man1/netcount.1` |
//! | `complete-bash` | `/usr/share/bash-completion/completions/netcount` |
//! | `complete-zsh` | `_netcount` in a directory of `$fpath` |
//! | `complete-fish` | `~/.config/fish/completions/netcount.fish` |

use super::flags::{Complete, Flag, COUNT_FLAGS, SERVE_FLAGS};
use super::help::{self, Page};

/// The kinds `--generate` takes.
pub const KINDS: &[&str] = &["man", "complete-bash", "complete-zsh", "complete-fish"];

/// The text of `kind` (one of [`KINDS`]); `None` for anything else.
pub fn generate(kind: &str) -> Option<String> {
    match kind {
        "man" => Some(man()),
        "complete-bash" => Some(bash()),
        "complete-zsh" => Some(zsh()),
        "complete-fish" => Some(fish()),
        _ => None,
    }
}

/// The subcommands a completion offers first, with what they do.
const COMMANDS: &[(&str, &str)] = &[
    ("serve", "serve the count over HTTP"),
    ("help", "print the help of netcount or of serve"),
];

// ---- man page ---------------------------------------------------------------

/// The man page, in the `man(7)` macros: both commands, their options,
/// output and exit status.
fn man() -> String {
    let (count, serve) = (help::count(), help::serve());
    let mut roff = format!(
        ".TH NETCOUNT 1 \"\" \"netcount {}\" \"User Commands\"\n",
        env!("CARGO_PKG_VERSION")
    );
    // Ragged right, no hyphenation: flag names must stay whole.
    roff.push_str(".ad l\n.nh\n");
    roff.push_str(".SH NAME\nnetcount \\- count a string in what a URL serves, streaming\n");
    roff.push_str(".SH SYNOPSIS\n");
    for usage in count.usage {
        roff.push_str(&format!(".B {}\n.br\n", escape(usage)));
    }
    roff.push_str(".SH DESCRIPTION\n");
    roff.push_str(&man_text(&count.about));
    roff.push_str(".SH OPTIONS\n");
    roff.push_str(&man_flags(&count));
    roff.push_str(".SH COMMANDS\n");
    for (name, help) in count.commands {
        roff.push_str(&format!(".TP\n.B {}\n{}\n", escape(name), escape(help)));
    }
    roff.push_str(".SH OUTPUT AND EXIT STATUS\n");
    roff.push_str(&man_text(&count.notes));
    roff.push_str(".SH SERVE\n");
    roff.push_str(&format!(".B {}\n.PP\n", escape(serve.usage[0])));
    roff.push_str(&man_text(&serve.about));
    roff.push_str(".PP\n");
    roff.push_str(&man_text(&serve.notes));
    roff.push_str(".SH SERVE OPTIONS\n");
    roff.push_str(&man_flags(&serve));
    roff.push_str(
        ".SH ENVIRONMENT\n.TP\n.B TERM\n\
         When \\fBdumb\\fR or unset, the progress line is plain text, without terminal escapes.\n",
    );
    roff.push_str(".SH EXAMPLES\n.nf\n");
    for example in [
        "netcount https://dotnetfoundation.org",
        "netcount \\-n Rust \\-i https://www.rust\\-lang.org https://blog.rust\\-lang.org",
        "netcount \\-\\-json \\-\\-input urls.txt",
        "netcount serve \\-\\-listen :8080",
    ] {
        roff.push_str(example);
        roff.push('\n');
    }
    roff.push_str(".fi\n.SH SEE ALSO\n.BR curl (1),\n.BR wc (1)\n");
    roff
}

/// The options of `page` as tagged paragraphs.
fn man_flags(page: &Page) -> String {
    let mut roff = String::new();
    for flag in page.flags {
        let mut tag = String::new();
        if let Some(c) = flag.short {
            tag.push_str(&format!("\\fB\\-{c}\\fR, "));
        }
        tag.push_str(&format!("\\fB\\-\\-{}\\fR", escape(flag.long)));
        if let Some(value) = flag.value {
            tag.push_str(&format!(" \\fI{}\\fR", escape(value)));
        }
        roff.push_str(&format!(".TP\n{tag}\n{}\n", escape(&flag.description())));
    }
    roff
}

/// Help text as roff: prose lines joined into paragraphs (a blank line
/// starts a new one), lines indented by two spaces kept as they are.
fn man_text(text: &str) -> String {
    let mut roff = String::new();
    let mut verbatim = false;
    for line in text.lines() {
        let indented = line.starts_with("  ");
        if indented != verbatim {
            roff.push_str(if indented { ".RS\n.nf\n" } else { ".fi\n.RE\n" });
            verbatim = indented;
        }
        if line.trim().is_empty() {
            roff.push_str(".PP\n");
        } else if indented {
            // Keep the alignment within the table.
            roff.push_str(&escape(&line[2..]));
            roff.push('\n');
        } else {
            roff.push_str(&escape(line.trim()));
            roff.push('\n');
        }
    }
    if verbatim {
        roff.push_str(".fi\n.RE\n");
    }
    roff
}

/// `text` safe in roff: backslashes and dashes escaped, and a leading `.`
/// or `'` not read as a request.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

// ---- bash -------------------------------------------------------------------

/// The bash completion: flags after `-`, file names and choices for the
/// flags that take them, subcommands as the first word.
fn bash() -> String {
    let mut script = String::from(
        "# bash completion for netcount; generated by `netcount --generate complete-bash`.\n\
         _netcount() {\n    \
             local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n    \
             local command=count\n    \
             [[ ${COMP_WORDS[1]} == serve ]] && command=serve\n    \
             case \"$command $prev\" in\n",
    );
    for (command, table) in [("count", COUNT_FLAGS), ("serve", SERVE_FLAGS)] {
        for flag in table.iter().filter(|flag| flag.value.is_some()) {
            let names = flag_names(flag)
                .iter()
                .map(|name| format!("\"{command} {name}\""))
                .collect::<Vec<_>>()
                .join("|");
            let action = match flag.complete {
                Complete::Nothing => "COMPREPLY=()".to_string(),
                Complete::File => {
                    "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))"
                        .to_string()
                }
                Complete::Choices(choices) => {
                    format!(
                        "COMPREPLY=($(compgen -W '{}' -- \"$cur\"))",
                        choices.join(" ")
                    )
                }
            };
            script.push_str(&format!("        {names}) {action}; return ;;\n"));
        }
    }
    script.push_str("    esac\n    if [[ $cur == -* ]]; then\n        case $command in\n");
    for (command, table) in [("count", COUNT_FLAGS), ("serve", SERVE_FLAGS)] {
        let words: Vec<String> = table.iter().flat_map(flag_names).collect();
        script.push_str(&format!(
            "            {command}) COMPREPLY=($(compgen -W '{}' -- \"$cur\")) ;;\n",
            words.join(" ")
        ));
    }
    let commands: Vec<&str> = COMMANDS.iter().map(|(name, _)| *name).collect();
    script.push_str(&format!(
        "        esac\n    \
         elif [[ $command == count && $COMP_CWORD == 1 ]]; then\n        \
             COMPREPLY=($(compgen -W '{}' -- \"$cur\"))\n    \
         elif [[ ${{COMP_WORDS[1]}} == help && $COMP_CWORD == 2 ]]; then\n        \
             COMPREPLY=($(compgen -W 'serve' -- \"$cur\"))\n    \
         fi\n\
         }}\n\
         complete -F _netcount netcount\n",
        commands.join(" ")
    ));
    script
}

/// `-n` and `--needle`, or just `--overlapping`.
fn flag_names(flag: &Flag) -> Vec<String> {
    let mut names: Vec<String> = flag.short.map(|c| format!("-{c}")).into_iter().collect();
    names.push(format!("--{}", flag.long));
    names
}

// ---- zsh --------------------------------------------------------------------

/// The zsh completion: `_arguments` specs with descriptions, one set for
/// each command.
fn zsh() -> String {
    let mut script = String::from(
        "#compdef netcount\n\
         # zsh completion for netcount; generated by `netcount --generate complete-zsh`.\n\n\
         _netcount() {\n  \
           if [[ ${words[2]} == serve ]]; then\n    \
             # Complete serve's flags as if `netcount serve` were one command.\n    \
             words=(${words[1]} ${words[3,-1]})\n    \
             (( CURRENT-- ))\n    \
             _arguments -s -S :",
    );
    for flag in SERVE_FLAGS {
        script.push_str(&zsh_specs(flag));
    }
    script.push_str("\n    return\n  fi\n  local state\n  _arguments -s -S :");
    for flag in COUNT_FLAGS {
        script.push_str(&zsh_specs(flag));
    }
    script.push_str(" \\\n    '*: :->target'\n  [[ $state == target ]] || return\n");
    let commands: Vec<String> = COMMANDS
        .iter()
        .map(|(name, help)| zsh_quote(&format!("{name}:{help}")))
        .collect();
    script.push_str(&format!(
        "  if (( CURRENT == 2 )); then\n    \
             local -a commands=({})\n    \
             _describe -t commands command commands\n    \
             _message -e urls URL\n  \
           elif [[ ${{words[2]}} == help ]]; then\n    \
             compadd serve\n  \
           else\n    \
             _message -e urls URL\n  \
           fi\n\
         }}\n\n\
         _netcount \"$@\"\n",
        commands.join(" ")
    ));
    script
}

/// The `_arguments` specs of one flag, each on a continuation line of its
/// own.
fn zsh_specs(flag: &Flag) -> String {
    let description = flag
        .description()
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]");
    let value = match (flag.value, flag.complete) {
        (None, _) => String::new(),
        (Some(name), complete) => {
            let action = match complete {
                Complete::Nothing => " ".to_string(),
                Complete::File => "_files".to_string(),
                Complete::Choices(choices) => format!("({})", choices.join(" ")),
            };
            format!(":{}:{action}", name.replace(':', "\\:"))
        }
    };
    let mut specs = String::new();
    if let Some(c) = flag.short {
        let suffix = if flag.value.is_some() { "+" } else { "" };
        let spec = format!("-{c}{suffix}[{description}]{value}");
        specs.push_str(&format!(" \\\n      {}", zsh_quote(&spec)));
    }
    let suffix = if flag.value.is_some() { "=" } else { "" };
    let spec = format!("--{}{suffix}[{description}]{value}", flag.long);
    specs.push_str(&format!(" \\\n      {}", zsh_quote(&spec)));
    specs
}

/// `text` in single quotes for zsh or fish.
fn zsh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

// ---- fish -------------------------------------------------------------------

/// The fish completion: one `complete` line per flag, conditioned on
/// whether `serve` was given.
fn fish() -> String {
    let mut script = String::from(
        "# fish completion for netcount; generated by `netcount --generate complete-fish`.\n\
         complete -c netcount -f\n",
    );
    for (name, help) in COMMANDS {
        script.push_str(&format!(
            "complete -c netcount -n __fish_use_subcommand -a {name} -d {}\n",
            fish_quote(help)
        ));
    }
    script.push_str("complete -c netcount -n '__fish_seen_subcommand_from help' -a serve\n");
    for (condition, table) in [
        ("'not __fish_seen_subcommand_from serve'", COUNT_FLAGS),
        ("'__fish_seen_subcommand_from serve'", SERVE_FLAGS),
    ] {
        for flag in table {
            let mut line = format!("complete -c netcount -n {condition}");
            if let Some(c) = flag.short {
                line.push_str(&format!(" -s {c}"));
            }
            line.push_str(&format!(" -l {}", flag.long));
            match (flag.value, flag.complete) {
                (None, _) => {}
                (Some(_), Complete::Nothing) => line.push_str(" -x"),
                (Some(_), Complete::File) => line.push_str(" -r -F"),
                (Some(_), Complete::Choices(choices)) => {
                    line.push_str(&format!(" -x -a {}", fish_quote(&choices.join(" "))))
                }
            }
            line.push_str(&format!(" -d {}\n", fish_quote(&flag.description())));
            script.push_str(&line);
        }
    }
    script
}

/// `text` in single quotes for fish (which escapes `\` and `'` inside).
fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag of both tables, as `--long` and `-s`.
    fn every_flag() -> Vec<String> {
        COUNT_FLAGS
            .iter()
            .chain(SERVE_FLAGS)
            .flat_map(flag_names)
            .collect()
    }

    #[test]
    fn every_kind_names_every_flag() {
        for kind in KINDS {
            let text = generate(kind).unwrap();
            for name in every_flag() {
                // The man page writes a dash as `\-`; fish writes `-l long`
                // and `-s c`.
                let needles = [
                    name.replace('-', "\\-"),
                    name.clone(),
                    match name.strip_prefix("--") {
                        Some(long) => format!("-l {long}"),
                        None => format!("-s {}", &name[1..]),
                    },
                ];
                assert!(
                    needles.iter().any(|needle| text.contains(needle.as_str())),
                    "{kind} does not name {name}"
                );
            }
        }
        assert!(generate("complete-powershell").is_none());
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(escape("a-b \\ c"), "a\\-b \\e c");
        assert_eq!(escape(".NET"), "\\&.NET");
        assert_eq!(escape("'x"), "\\&'x");
        assert_eq!(
            man_text("prose\n  kept\n    indented\n\nmore"),
            "prose\n.RS\n.nf\nkept\n  indented\n.fi\n.RE\n.PP\nmore\n"
        );
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(zsh_quote("it's"), "'it'\\''s'");
        assert_eq!(fish_quote("it's \\"), "'it\\'s \\\\'");
    }
}
