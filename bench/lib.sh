# Shared by the bench/ scripts (sourced, from the repository's top).

# baseline_build REV DIR: lamplight at revision REV, built for release in
# DIR (its tree in DIR, the program DIR/b/src/lamplight): the figure a
# change must not fall behind, measured in the same run.
baseline_build() {
	mkdir -p "$2"
	git archive "$1" | tar -x -C "$2"
	(cd "$2" && meson setup b --buildtype=release >/dev/null &&
		ninja -C b src/lamplight >/dev/null)
}

# keep_min FILE VALUE: FILE holds the least VALUE so far.
keep_min() {
	if [[ ! -e $1 ]] || awk -v a="$2" -v b="$(cat "$1")" \
		'BEGIN { exit !(a < b) }'; then
		echo "$2" >"$1"
	fi
}

# ratio A B: A / B, two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'
}
