fn main() -> std::process::ExitCode {
    shoebox::cli::main()
}
