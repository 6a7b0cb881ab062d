//! `chatkeep`: convert ChatGPT exports to Markdown, HTML and JSON on the command line.

mod input;

use anyhow::{bail, Context, Result};
use chatkeep_core::redact::{self, Kind, RedactOptions, SourceMode};
use chatkeep_core::{
    encrypt, naming, render, Branches, Flavor, Format, FrontMatterField, Images, Options,
    Transcript,
};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use input::Next;
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  chatkeep convert export.zip --out chats                 Markdown for every conversation
  chatkeep convert export.zip --format all --out chats    Markdown, HTML and JSON
  chatkeep convert conversations.json --format html --branches all --reasoning
  chatkeep convert conversation.json --format md --flavor obsidian --out vault/ChatGPT
  chatkeep list export.zip                                id, date, title, messages
  chatkeep convert export.zip --redact --redact-terms names.txt --out chats
  chatkeep convert export.zip --password-file pw.txt --out chats.zip   one AES-256 ZIP

INPUT is an export ZIP, its conversations.json, a folder holding conversations-NNN.json
files (an unzipped export), chat.html, or one conversation's JSON (from the API).";

#[derive(Parser)]
#[command(name = "chatkeep", version, about = "Save ChatGPT conversations as Markdown, HTML or JSON — offline.", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write one file per conversation (plus images) in the chosen formats.
    #[command(after_help = EXAMPLES)]
    Convert(Box<ConvertArgs>),
    /// Print id, date, title and message count of each conversation.
    List {
        /// The export ZIP, conversations.json, folder, chat.html or conversation JSON.
        input: PathBuf,
    },
}

#[derive(clap::Args)]
struct ConvertArgs {
    /// The export ZIP, conversations.json, folder, chat.html or conversation JSON.
    input: PathBuf,
    /// Output format(s); repeat or use `all`.
    #[arg(short, long, value_enum, default_values_t = [FormatArg::Md])]
    format: Vec<FormatArg>,
    /// Output folder (created if missing).
    #[arg(short, long, default_value = "chatkeep-out")]
    out: PathBuf,
    /// Write only the branch you last saw, or every alternative answer and edited prompt too.
    #[arg(long, value_enum, default_value_t = BranchesArg::Current)]
    branches: BranchesArg,
    /// Include model reasoning (collapsed).
    #[arg(long)]
    reasoning: bool,
    /// Include messages ChatGPT hides (tool calls, tool output, system and memory messages).
    #[arg(long)]
    hidden: bool,
    /// Include your custom instructions (collapsed).
    #[arg(long)]
    custom_instructions: bool,
    /// Leave out message times.
    #[arg(long)]
    no_timestamps: bool,
    /// Show times at this offset from UTC, in minutes (e.g. 120 or -300).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    utc_offset: i32,
    /// Images in Markdown: files in an assets folder, embedded data URIs, or left out.
    #[arg(long, value_enum, default_value_t = ImagesArg::Link)]
    images: ImagesArg,
    /// Markdown flavour.
    #[arg(long, value_enum, default_value_t = FlavorArg::Plain)]
    flavor: FlavorArg,
    /// Front-matter fields, comma-separated (title,id,url,created,updated,model,messages,gizmo,origin), or `none`.
    #[arg(long, value_delimiter = ',')]
    front_matter: Option<Vec<String>>,
    /// File name template: {title} {date} {time} {updated} {id} {short_id} {model}.
    #[arg(long, default_value = "{date} {title}")]
    template: String,
    /// Only conversations whose id is one of these (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    id: Vec<String>,
    /// No progress bar or summary.
    #[arg(short, long)]
    quiet: bool,
    /// Replace personal data and secrets by placeholders ([email 1], [phone 2], …): every kind.
    #[arg(long)]
    redact: bool,
    /// Redact only these kinds, comma-separated: email,phone,ip,card,iban,secret,name.
    #[arg(long, value_delimiter = ',')]
    redact_kinds: Option<Vec<String>>,
    /// Also redact the words and names in FILE (one per line), as [name N].
    #[arg(long, value_name = "FILE")]
    redact_terms: Option<PathBuf>,
    /// With redaction, redact inside the JSON's verbatim `source` instead of leaving it out
    /// (slower).
    #[arg(long, conflicts_with = "redact_drop_source")]
    redact_keep_source: bool,
    /// With redaction, leave the JSON's verbatim `source` out: the default, accepted for
    /// older scripts.
    #[arg(long)]
    redact_drop_source: bool,
    /// Write everything into one AES-256 encrypted ZIP (OUT.zip beside --out OUT, or --out
    /// FILE.zip), with the password read from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Md,
    Html,
    Json,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum BranchesArg {
    Current,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImagesArg {
    Link,
    Embed,
    Omit,
}

#[derive(Clone, Copy, ValueEnum)]
enum FlavorArg {
    Plain,
    Obsidian,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(args) => convert(&args),
        Command::List { input } => list(&input).map(|_| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn options(a: &ConvertArgs) -> Result<Options> {
    let mut formats: Vec<Format> = Vec::new();
    for f in &a.format {
        let add: &[Format] = match f {
            FormatArg::Md => &[Format::Markdown],
            FormatArg::Html => &[Format::Html],
            FormatArg::Json => &[Format::Json],
            FormatArg::All => &Format::ALL,
        };
        for &x in add {
            if !formats.contains(&x) {
                formats.push(x);
            }
        }
    }
    let front_matter = match &a.front_matter {
        None => FrontMatterField::ALL.to_vec(),
        Some(v) if v.iter().any(|s| s == "none") => Vec::new(),
        Some(v) => v
            .iter()
            .map(|s| {
                serde_json::from_value::<FrontMatterField>(serde_json::Value::String(s.trim().to_owned()))
                    .with_context(|| format!("unknown front-matter field {s:?} (use title,id,url,created,updated,model,messages,gizmo,origin or none)"))
            })
            .collect::<Result<_>>()?,
    };
    Ok(Options {
        formats,
        branches: match a.branches {
            BranchesArg::Current => Branches::Current,
            BranchesArg::All => Branches::All,
        },
        include_reasoning: a.reasoning,
        include_hidden: a.hidden,
        include_custom_instructions: a.custom_instructions,
        timestamps: !a.no_timestamps,
        utc_offset_minutes: a.utc_offset,
        images: match a.images {
            ImagesArg::Link => Images::Link,
            ImagesArg::Embed => Images::Embed,
            ImagesArg::Omit => Images::Omit,
        },
        flavor: match a.flavor {
            FlavorArg::Plain => Flavor::Plain,
            FlavorArg::Obsidian => Flavor::Obsidian,
        },
        front_matter,
        filename_template: a.template.clone(),
        redact: redact_options(a)?,
    })
}

fn redact_options(a: &ConvertArgs) -> Result<RedactOptions> {
    let mut r = RedactOptions {
        enabled: a.redact || a.redact_kinds.is_some() || a.redact_terms.is_some(),
        ..RedactOptions::default()
    };
    if let Some(kinds) = &a.redact_kinds {
        r.kinds = kinds
            .iter()
            .map(|k| {
                Kind::parse(k).with_context(|| {
                    format!(
                        "unknown redaction kind {k:?} (use email,phone,ip,card,iban,secret,name)"
                    )
                })
            })
            .collect::<Result<_>>()?;
        if a.redact_terms.is_some() && !r.kinds.contains(&Kind::Name) {
            r.kinds.push(Kind::Name);
        }
    }
    if let Some(path) = &a.redact_terms {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the redaction terms {}", path.display()))?;
        r.terms = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
    }
    // Neither: the core's default (left out). Both: clap refuses them.
    if a.redact_keep_source {
        r.source = SourceMode::Redact;
    } else if a.redact_drop_source {
        r.source = SourceMode::Drop;
    }
    Ok(r)
}

/// The password from the first line of a file (never from the command line, where other
/// users and the shell's history can see it).
fn read_password(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the password file {}", path.display()))?;
    let pw = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_owned();
    if pw.is_empty() {
        bail!(
            "the password file {} is empty: put the password on its first line",
            path.display()
        );
    }
    Ok(pw)
}

/// Where files go: a folder, or one encrypted ZIP.
enum Sink {
    Dir(PathBuf),
    Zip(Box<encrypt::EncryptedZip<std::io::BufWriter<std::fs::File>>>),
}

/// Writes one file under the output folder, creating its folders.
fn write_file(out: &Path, rel: &str, data: &[u8]) -> Result<()> {
    let p = out.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    std::fs::write(&p, data).with_context(|| format!("could not write {}", p.display()))
}

fn progress_bar(total: Option<u64>, quiet: bool) -> ProgressBar {
    let pb = match total {
        Some(t) => ProgressBar::new(t),
        None => ProgressBar::no_length(),
    };
    if quiet {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.set_draw_target(ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} · {msg} (ETA {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    pb
}

/// Renders a transcript whose files are named `stem.*` and hands each file (path relative
/// to the output, bytes) to `write`; returns how many files it wrote.
fn write_transcript(
    t: &Transcript,
    opts: &Options,
    stem: &str,
    write: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
) -> Result<usize> {
    let (files, assets) = render::outputs(t, opts, stem);
    for f in &files {
        write(&f.file_name, f.text.as_bytes())?;
    }
    for a in &assets {
        write(&a.path, a.data)?;
    }
    Ok(files.len() + assets.len())
}

fn convert(a: &ConvertArgs) -> Result<ExitCode> {
    let opts = options(a)?;
    if opts.formats.is_empty() {
        bail!("no output format chosen");
    }
    let source = input::open(&a.input)?;
    let (mut sink, shown_out) = match &a.password_file {
        Some(pw) => {
            let password = read_password(pw)?;
            if encrypt::strength(&password) == encrypt::Strength::TooShort {
                bail!(
                    "the password is too short: use at least {} characters (a passphrase of five or more random words is best)",
                    encrypt::MIN_PASSWORD_CHARS
                );
            }
            let zip_path = if a
                .out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
            {
                a.out.clone()
            } else {
                let mut name = a.out.as_os_str().to_owned();
                name.push(".zip");
                PathBuf::from(name)
            };
            if let Some(dir) = zip_path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create the folder {}", dir.display()))?;
            }
            let file = std::fs::File::create(&zip_path)
                .with_context(|| format!("could not create {}", zip_path.display()))?;
            let zip = encrypt::EncryptedZip::new(std::io::BufWriter::new(file), &password)?;
            if encrypt::strength(&password) == encrypt::Strength::Weak && !a.quiet {
                eprintln!("note: this password is weak; ZIP encryption only resists guessing with a long password (a passphrase of five or more random words)");
            }
            (Sink::Zip(Box::new(zip)), zip_path)
        }
        None => {
            std::fs::create_dir_all(&a.out).with_context(|| {
                format!("could not create the output folder {}", a.out.display())
            })?;
            (Sink::Dir(a.out.clone()), a.out.clone())
        }
    };
    let mut redacted: std::collections::BTreeMap<Kind, usize> = Default::default();
    let pb = progress_bar(source.total_bytes(), a.quiet);
    let mut names = naming::UniqueNames::new();
    let (ok, files) = (Cell::new(0usize), Cell::new(0usize));
    let mut claimed = 0usize;
    let mut failures: Vec<String> = Vec::new();
    let write_error: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let started = std::time::Instant::now();
    // Parsing and writing run on every core; what decides the output (the unique names, in
    // input order) and the messages stay on this thread, so the files are the same as a
    // serial run's. An encrypted ZIP is written here too, in order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = match &sink {
        Sink::Dir(d) => Some(d.clone()),
        Sink::Zip(_) => None,
    };
    let work = |(t, stem): (Transcript, String)| -> Result<usize> {
        let dir = dir.as_deref().context("no output folder")?;
        write_transcript(&t, &opts, &stem, &mut |rel, data| {
            write_file(dir, rel, data)
        })
    };
    let wrote = |n: usize| {
        ok.set(ok.get() + 1);
        files.set(files.get() + n);
    };
    let fail = |e: anyhow::Error| {
        write_error.borrow_mut().get_or_insert(e);
    };
    let read = source.for_each_pipelined(
        threads,
        &mut |r, p| {
            pb.set_position(p.bytes_read);
            match r {
                Ok(mut t) => {
                    if !a.id.is_empty() && !a.id.contains(&t.id) {
                        return Next::Done;
                    }
                    claimed += 1;
                    pb.set_message(format!("{claimed} conversations"));
                    if opts.redact.enabled {
                        if !opts.formats.contains(&Format::Json) {
                            // Only the JSON writes `source`: no need to redact it.
                            t.source_json = None;
                        }
                        redact::apply(&mut t, &opts.redact);
                        for (k, n) in t.redaction.iter().flat_map(|r| r.counts.iter()) {
                            *redacted.entry(*k).or_default() += n;
                        }
                    }
                    let stem = names.claim_for(&t, &opts);
                    for w in &t.warnings {
                        pb.suspend(|| eprintln!("note: \"{}\" ({}): {w}", t.title, t.id));
                    }
                    match &mut sink {
                        Sink::Dir(_) => Next::Work((t, stem)),
                        Sink::Zip(z) => {
                            match write_transcript(&t, &opts, &stem, &mut |rel, data| {
                                Ok(z.add(rel, data)?)
                            }) {
                                Ok(n) => {
                                    wrote(n);
                                    Next::Done
                                }
                                Err(e) => {
                                    fail(e);
                                    Next::Stop
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    pb.suspend(|| eprintln!("warning: {e}"));
                    failures.push(e.to_string());
                    Next::Done
                }
            }
        },
        &work,
        &mut |r| match r {
            Ok(n) => {
                wrote(n);
                ControlFlow::Continue(())
            }
            Err(e) => {
                fail(e);
                ControlFlow::Break(())
            }
        },
    );
    pb.finish_and_clear();
    if let Some(e) = write_error.into_inner() {
        return Err(e);
    }
    let (ok, files) = (ok.get(), files.get());
    if let Sink::Zip(z) = sink {
        use std::io::Write as _;
        z.finish()?
            .flush()
            .with_context(|| format!("could not write {}", shown_out.display()))?;
    }
    if opts.redact.enabled && !a.quiet {
        let parts: Vec<String> = redacted
            .iter()
            .map(|(k, n)| format!("{n} {}", k.label()))
            .collect();
        eprintln!(
            "Redacted (distinct values per conversation, summed): {}.",
            if parts.is_empty() {
                "nothing found".to_owned()
            } else {
                parts.join(", ")
            }
        );
    }
    let summary = |stderr: &mut dyn Write| {
        let _ = writeln!(
            stderr,
            "Wrote {ok} conversation(s), {files} file(s), to {} in {:.1} s.",
            shown_out.display(),
            started.elapsed().as_secs_f64()
        );
    };
    if let Err(e) = read {
        summary(&mut std::io::stderr());
        bail!("{e}");
    }
    if !a.quiet {
        summary(&mut std::io::stderr());
    }
    if !failures.is_empty() {
        eprintln!("{} conversation(s) could not be read:", failures.len());
        for f in &failures {
            eprintln!("  - {f}");
        }
        return Ok(ExitCode::from(3));
    }
    if ok == 0 && !a.id.is_empty() {
        bail!(
            "no conversation with the id(s) {} was found",
            a.id.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(input: &Path) -> Result<()> {
    let mut source = input::open(input)?;
    source.skip_assets();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let mut io_error = None;
    source.for_each(&mut |r, _| {
        let line = match r {
            Ok(t) => {
                let date = t
                    .create_time
                    .and_then(|c| chatkeep_core::time_fmt::date(c, 0))
                    .unwrap_or_else(|| "-".to_owned());
                format!(
                    "{}\t{}\t{}\t{}",
                    t.id,
                    date,
                    t.visible_messages().count(),
                    t.title
                )
            }
            Err(e) => {
                failed += 1;
                format!("error\t\t\t{e}")
            }
        };
        if let Err(e) = writeln!(out, "{line}") {
            io_error = Some(e);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = io_error {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    out.flush().ok();
    if failed > 0 {
        eprintln!("{failed} conversation(s) could not be read.");
    }
    Ok(())
}
