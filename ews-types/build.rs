//! Generates the bindings from the EWS schema into `OUT_DIR`.

fn main() {
    println!("cargo:rerun-if-env-changed=EWS_SCHEMA_DIR");
    let dir = match ews_codegen::schema_dir_from_env(env!("CARGO_MANIFEST_DIR")) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let builder = ews_codegen::Builder::new(&dir)
        .out_file(std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("ews_bindings.rs"));
    for f in builder.schema_files() {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    if let Err(e) = builder.generate() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
