//! The floor under the desktop app's memory: Tauri 2 with one window showing a static page,
//! the same versions and build profile as `weft-app`, and nothing of Weft. The e2e measure
//! (`measure_launch_to_board_and_memory_on_the_demo_community`) weighs it next to the app,
//! so the app's own share is the difference.
//!
//! It starts with the same environment as the app (`weft_app::start_with_environment`).

#![allow(clippy::print_stderr)] // a program for measuring, with no log of its own

use std::process::ExitCode;

fn main() -> ExitCode {
    weft_app::start_with_environment();
    match tauri::Builder::default().run(tauri::generate_context!("examples/shell_floor/tauri.conf.json")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("the shell floor could not run: {e}");
            ExitCode::FAILURE
        }
    }
}
