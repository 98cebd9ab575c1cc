fn main() {
    std::process::exit(coupa_access::cmd::main());
}
