# benches/kingfisher.sh - sourced by the bench scripts: finds Kingfisher (needs their log/die).
#
# locate_kingfisher: unless SKIP_KINGFISHER=1, sets KINGFISHER to the real binary inside the
# kingfisher-bin wheel (pip-installed if missing), not the Python launcher, so interpreter
# start-up is never timed. A KINGFISHER already set is kept. Dies if none is found.
locate_kingfisher() {
    [[ ${SKIP_KINGFISHER:-0} == 1 ]] && return 0
    if [[ -z ${KINGFISHER:-} ]]; then
        if ! command -v kingfisher >/dev/null && ! python3 -c 'import kingfisher' 2>/dev/null; then
            log "pip install kingfisher-bin"
            python3 -m pip install -q kingfisher-bin >&2 || die "pip install kingfisher-bin failed"
        fi
        KINGFISHER=$(python3 -c 'import kingfisher; print(kingfisher.get_binary_path())' 2>/dev/null ||
            command -v kingfisher || true)
    fi
    [[ -n $KINGFISHER && -x $KINGFISHER ]] || die "kingfisher binary not found (set KINGFISHER=...)"
}
