//! `main` -> `run` -> exit code. Signal handlers go in before anything else.

use std::io::Write;
use std::process::ExitCode;

use publish_offer::cli::{self, Invocation};
use publish_offer::environment::Environment;
use publish_offer::interrupt::Interrupt;
use publish_offer::report::last_words;
use publish_offer::{descriptors, logging, run};

fn main() -> ExitCode {
    last_words::install_panic_hook();
    let sandbox = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Invocation::Run { sandbox }) => sandbox,
        Ok(Invocation::Help) => return print(&cli::help()),
        Ok(Invocation::SandboxList) => return print(&publish_offer::sandbox::list()),
        Ok(Invocation::Version) => return print(&format!("{}\n", cli::version())),
        Err(message) => {
            // Still a step: the CI system gets its status output like for any invalid input,
            // and the error is printed once, by the reporter, as every other error is.
            let code = run::invalid_arguments(&Environment::from_process(), &message);
            return ExitCode::from(code);
        }
    };
    let environment = Environment::from_process();
    logging::init(&environment);
    // Before anything else takes a descriptor: the status must reach the outputs file even when
    // the open-file limit leaves none for later.
    last_words::keep_outputs_open(&environment);
    if let Some(problem) = descriptors::too_few() {
        return ExitCode::from(run::cannot_start(&environment, &problem));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let message = format!("cannot start the async runtime: {error}");
            return ExitCode::from(run::cannot_start(&environment, &message));
        }
    };
    let code = runtime.block_on(async {
        let interrupt = match Interrupt::install() {
            Ok(interrupt) => interrupt,
            Err(error) => {
                let message = format!("cannot install signal handlers: {error}");
                return run::cannot_start(&environment, &message);
            }
        };
        let code = run::run(environment, interrupt, sandbox).await;
        logging::flush_repeats();
        code
    });
    ExitCode::from(code)
}

fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not a failure of ours.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(1),
    }
}
