//! `weft-app`: Weft on the desktop. Everything lives in the library (`weft_app::run`).

fn main() -> std::process::ExitCode {
    weft_app::run()
}
