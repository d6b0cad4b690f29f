//! The command-line example of the README: hyperparameters defined with `-D key=value`.
//!
//! ```text
//! $ cargo run --example define -- -D example.a=5
//! example.a=5, example.b=1
//! $ cargo run --example define -- -D example.a=5 --define example.b=2
//! example.a=5, example.b=2
//! ```

use clap::Parser;
use hyperparameter::*;

#[derive(Parser)]
#[command(about = "Read example.a and example.b, overridable with -D key=value")]
struct Args {
    /// Define a hyperparameter, `key=value` (repeatable).
    #[arg(short = 'D', long, value_parser = definition)]
    define: Vec<String>,
}

/// Check each definition while parsing the command line, so a bad one is a usage error
/// reported by clap (exit status 2), not a panic later.
fn definition(text: &str) -> Result<String, String> {
    parse_definition(text)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

fn main() {
    let args = Args::parse();

    with_params! {
        params ParamScope::from(&args.define);

        foo()
    }
}

fn foo() {
    with_params! {
        @get a = example.a or 0;
        @get b = example.b or 1;

        println!("example.a={a}, example.b={b}");
    }
}
