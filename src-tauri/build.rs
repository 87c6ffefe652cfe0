//! Generates the Tauri context (config, capabilities, embedded UI) and declares the app's own
//! commands, so each one needs an explicit grant in `capabilities/`.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["execute", "app_info", "save_file"]);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri-build failed: {e:#}");
    }
}
