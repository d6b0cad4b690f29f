//! The examples in `rust/examples/` run and print what the README promises.
//!
//! Examples have no `CARGO_BIN_EXE_*` variable, so these tests run them through the cargo that
//! runs the tests (`env!("CARGO")`); `cargo test` has already built them, so this is quick.

use std::process::{Command, Output};

fn run_example(name: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--quiet",
            "-p",
            "hyperparameter",
            "--example",
            name,
            "--",
        ])
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    )
}

#[test]
fn define_reads_values_from_the_command_line() {
    let output = run_example("define", &["-D", "example.a=5"]);
    assert!(output.status.success(), "{}", show(&output));
    assert_eq!(
        text(&output.stdout),
        "example.a=5, example.b=1\n",
        "{}",
        show(&output)
    );

    let output = run_example("define", &[]);
    assert!(output.status.success(), "{}", show(&output));
    assert_eq!(text(&output.stdout), "example.a=0, example.b=1\n");

    let output = run_example(
        "define",
        &[
            "--define",
            "example.a=5",
            "-D",
            "example.b=2",
            "-D",
            "example.a=7",
        ],
    );
    assert!(output.status.success(), "{}", show(&output));
    assert_eq!(
        text(&output.stdout),
        "example.a=7, example.b=2\n",
        "the later definition wins"
    );
}

#[test]
fn define_refuses_a_bad_definition_clearly() {
    let output = run_example("define", &["-D", "example.a"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a usage error: {}",
        show(&output)
    );
    assert!(output.stdout.is_empty(), "{}", show(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("definition \"example.a\" has no '=': expected key=value"),
        "{stderr}"
    );

    let output = run_example("define", &["-D", "example..a=1"]);
    assert_eq!(output.status.code(), Some(2), "{}", show(&output));
    assert!(
        text(&output.stderr).contains("invalid key \"example..a\": key has an empty segment"),
        "{}",
        show(&output)
    );

    // A well-formed definition whose value the reader cannot use names key, value and type.
    let output = run_example("define", &["-D", "example.b=x"]);
    assert!(!output.status.success(), "{}", show(&output));
    assert!(
        output.stdout.is_empty(),
        "no wrong number is printed: {}",
        show(&output)
    );
    assert!(
        text(&output.stderr).contains("parameter \"example.b\": cannot convert \"x\" to int"),
        "{}",
        show(&output)
    );
}

#[test]
fn threads_example_workers_see_the_frozen_seed_and_their_own_values() {
    let output = run_example("threads", &[]);
    assert!(output.status.success(), "{}", show(&output));
    let mut lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    lines.sort();
    let mut expected: Vec<String> = (0..4)
        .flat_map(|w| (0..5).map(move |i| format!("Worker {w} iter {i} seed 42")))
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
}
