# Sourced by the benchmark scripts: the peers' real binaries, installed when missing. A pip
# package's `kingfisher` on PATH is a Python entry point that starts the binary; timing it
# would time Python too, so the binary inside the package is what is timed.
kingfisher_binary() {
  python3 -c 'import kingfisher' 2>/dev/null || python3 -m pip install --quiet kingfisher-bin==2.14.0
  python3 -c 'import kingfisher, os; print(os.path.join(os.path.dirname(kingfisher.__file__), "bin", "kingfisher"))'
}
