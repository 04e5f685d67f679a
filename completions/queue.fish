# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_queue_global_optspecs
    string join \n database= connection= config= json q/quiet v/verbose no-color h/help V/version
end

function __fish_queue_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_queue_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_queue_using_subcommand
    set -l cmd (__fish_queue_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c queue -n "__fish_queue_needs_command" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_needs_command" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_needs_command" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_needs_command" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_needs_command" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_needs_command" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_needs_command" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_needs_command" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_needs_command" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_needs_command" -f -a "dispatch" -d 'Put a job on a queue: `queue dispatch -- PROGRAM ARGS…`'
complete -c queue -n "__fish_queue_needs_command" -f -a "work" -d 'Run a worker that processes jobs until it is told to stop'
complete -c queue -n "__fish_queue_needs_command" -f -a "listen" -d 'Run each job in a fresh `queue work --once` process (re-reads queue.toml every time)'
complete -c queue -n "__fish_queue_needs_command" -f -a "release" -d 'Inside a job: put this job back on its queue (after --delay seconds, or its backoff)'
complete -c queue -n "__fish_queue_needs_command" -f -a "fail" -d 'Inside a job: fail this job now, with no more tries'
complete -c queue -n "__fish_queue_needs_command" -f -a "status" -d 'Show queue sizes and the oldest waiting job of each queue'
complete -c queue -n "__fish_queue_needs_command" -f -a "show" -d 'Show one job: state, attempts, options and last output'
complete -c queue -n "__fish_queue_needs_command" -f -a "failed" -d 'List failed jobs, newest first'
complete -c queue -n "__fish_queue_needs_command" -f -a "retry" -d 'Put failed jobs back on their queue: UUID…, `all`, or --queue Q'
complete -c queue -n "__fish_queue_needs_command" -f -a "monitor" -d 'Exit 1 with ALERT rows when a queue holds --max jobs or more (for cron)'
complete -c queue -n "__fish_queue_needs_command" -f -a "forget" -d 'Delete one failed job'
complete -c queue -n "__fish_queue_needs_command" -f -a "flush" -d 'Delete all failed jobs (or those older than --hours)'
complete -c queue -n "__fish_queue_needs_command" -f -a "prune-failed" -d 'Delete failed jobs older than --hours (default 24)'
complete -c queue -n "__fish_queue_needs_command" -f -a "clear" -d 'Delete every job of a queue, including delayed and reserved ones'
complete -c queue -n "__fish_queue_needs_command" -f -a "restart" -d 'Tell every worker to exit after its current job (for deploys)'
complete -c queue -n "__fish_queue_needs_command" -f -a "pause" -d 'Stop workers from taking jobs from a queue: [CONNECTION:]QUEUE'
complete -c queue -n "__fish_queue_needs_command" -f -a "resume" -d 'Let workers take jobs from a paused queue again: [CONNECTION:]QUEUE'
complete -c queue -n "__fish_queue_needs_command" -f -a "down" -d 'Maintenance mode: workers take no jobs (unless started with --force)'
complete -c queue -n "__fish_queue_needs_command" -f -a "up" -d 'Leave maintenance mode'
complete -c queue -n "__fish_queue_needs_command" -f -a "supervisor-config" -d 'Print a supervisord program section that runs workers for this store'
complete -c queue -n "__fish_queue_needs_command" -f -a "systemd-unit" -d 'Print a systemd unit that runs workers for this store'
complete -c queue -n "__fish_queue_needs_command" -f -a "migrate" -d 'Apply pending schema migrations to the store'
complete -c queue -n "__fish_queue_needs_command" -f -a "completions" -d 'Print shell completions: bash, zsh, fish, elvish or powershell'
complete -c queue -n "__fish_queue_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c queue -n "__fish_queue_needs_command" -f -a "guard" -d 'Internal: the helper that kills a dead worker\'s jobs'
complete -c queue -n "__fish_queue_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l queue -d 'The queue to put the job on (default: the connection\'s queue, else `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l delay -d 'Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l tries -d 'Attempts allowed (0 or -1 = unlimited; default: the worker\'s --tries)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l backoff -d 'Seconds to wait before each retry, by attempt, the last repeating: 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l timeout -d 'Seconds the job may run (default: the worker\'s --timeout; 0 = none)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l retry-until -d 'Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l max-exceptions -d 'Fail the job once it has thrown this many exceptions (non-zero exits, timeouts)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l name -d 'The name shown in listings (default: the command)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l payload -d 'JSON given to the job on stdin' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l env -d 'An environment variable for the job (repeatable)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l cwd -d 'The directory the job runs in (default: this one)' -r -F
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l if -d 'Dispatch only if this shell command exits 0' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l unless -d 'Dispatch only if this shell command exits non-zero' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l file -d 'Dispatch every job of a JSON Lines file in one transaction (all or nothing)' -r -F
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l fail-on-timeout -d 'Fail the job at its first timeout, whatever --tries says'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l sync -d 'Run the job now in this process (no queue, no retries) and exit with its status'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand work" -l queue -d 'Queues in priority order: a,b (default: the connection\'s queue)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l sleep -d 'Seconds to wait when no job is available (fractions allowed)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l timeout -d 'Seconds a job may run when it does not say (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l tries -d 'Attempts a job gets when it does not say (0 or -1 = unlimited)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l backoff -d 'Seconds before a failed job is retried, when it does not say: 0, or a list 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l rest -d 'Seconds to rest after each job' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l memory -d 'Exit with status 12 once this process uses this many MB (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l max-jobs -d 'Exit after this many jobs (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l max-time -d 'Exit after running this long (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l name -d 'This worker\'s name' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l concurrency -d 'Jobs to run at once in this worker' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand work" -l force -d 'Work even in maintenance mode (`queue down`)'
complete -c queue -n "__fish_queue_using_subcommand work" -l stop-when-empty -d 'Exit as soon as no job is available now (delayed jobs stay queued)'
complete -c queue -n "__fish_queue_using_subcommand work" -l once -d 'Process at most one job, then exit'
complete -c queue -n "__fish_queue_using_subcommand work" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand work" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand work" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand work" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand work" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand work" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand listen" -l queue -d 'Queues in priority order: a,b (default: the connection\'s queue)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l sleep -d 'Seconds to wait when no job is available (fractions allowed)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l timeout -d 'Seconds a job may run when it does not say (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l tries -d 'Attempts a job gets when it does not say (0 or -1 = unlimited)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l backoff -d 'Seconds before a failed job is retried, when it does not say: 0, or a list 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l rest -d 'Seconds to rest after each job' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l memory -d 'Exit with status 12 once this process uses this many MB (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand listen" -l force -d 'Work even in maintenance mode (`queue down`)'
complete -c queue -n "__fish_queue_using_subcommand listen" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand listen" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand listen" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand listen" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand listen" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand listen" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand release" -l delay -d 'Seconds before the job is available again (default: its backoff)' -r
complete -c queue -n "__fish_queue_using_subcommand release" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand release" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand release" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand release" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand release" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand release" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand release" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand release" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand release" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand fail" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand fail" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand fail" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand fail" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand fail" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand fail" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand fail" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand fail" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand fail" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand status" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand status" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand status" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand status" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand status" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand status" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand status" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand status" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand status" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand show" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand show" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand show" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand show" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand show" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand show" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand show" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand show" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand show" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand failed" -l queue -d 'Only failed jobs of this queue' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand failed" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand failed" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand failed" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand failed" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand failed" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand failed" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand retry" -l queue -d 'Retry every failed job of this queue' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand retry" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand retry" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand retry" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand retry" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand retry" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand retry" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand monitor" -l max -d 'The size (pending + delayed + reserved) at which a queue is in ALERT' -r
complete -c queue -n "__fish_queue_using_subcommand monitor" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand monitor" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand monitor" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand monitor" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand monitor" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand forget" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand forget" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand forget" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand forget" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand forget" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand forget" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand forget" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand flush" -l hours -d 'Only failed jobs at least this many hours old' -r
complete -c queue -n "__fish_queue_using_subcommand flush" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand flush" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand flush" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand flush" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand flush" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand flush" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand flush" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand flush" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand flush" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l hours -d 'Keep failed jobs younger than this many hours' -r
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand clear" -l queue -d 'The queue to clear (default: the connection\'s queue)' -r
complete -c queue -n "__fish_queue_using_subcommand clear" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand clear" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand clear" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand clear" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand clear" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand clear" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand clear" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand clear" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand clear" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand restart" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand restart" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand restart" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand restart" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand restart" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand restart" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand restart" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand restart" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand restart" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand pause" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand pause" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand pause" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand pause" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand pause" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand pause" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand pause" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand pause" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand pause" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand resume" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand resume" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand resume" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand resume" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand resume" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand resume" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand resume" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand resume" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand resume" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand down" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand down" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand down" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand down" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand down" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand down" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand down" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand down" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand down" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand up" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand up" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand up" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand up" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand up" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand up" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand up" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand up" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand up" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l program -d 'The supervisord program name' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l numprocs -d 'How many worker processes' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l work-args -d 'Arguments for `queue work` (e.g. --queue high,default --tries 3)' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l timeout -d 'The longest job timeout, in seconds; the stop timeout is this plus a margin' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l user -d 'The user the workers run as (default: the current one)' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l work-args -d 'Arguments for `queue work` (e.g. --queue high,default --tries 3)' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l timeout -d 'The longest job timeout, in seconds; the stop timeout is this plus a margin' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l user -d 'The user the workers run as (default: the current one)' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand migrate" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand migrate" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand migrate" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand migrate" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand migrate" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand migrate" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand migrate" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand migrate" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand migrate" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand completions" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand completions" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand completions" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand completions" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand completions" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand completions" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand completions" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand completions" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand completions" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand man" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand man" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand man" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand man" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand man" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand man" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand man" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand man" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand man" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand guard" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand guard" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand guard" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand guard" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand guard" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand guard" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand guard" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand guard" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand guard" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "dispatch" -d 'Put a job on a queue: `queue dispatch -- PROGRAM ARGS…`'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "work" -d 'Run a worker that processes jobs until it is told to stop'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "listen" -d 'Run each job in a fresh `queue work --once` process (re-reads queue.toml every time)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "release" -d 'Inside a job: put this job back on its queue (after --delay seconds, or its backoff)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "fail" -d 'Inside a job: fail this job now, with no more tries'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "status" -d 'Show queue sizes and the oldest waiting job of each queue'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "show" -d 'Show one job: state, attempts, options and last output'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "failed" -d 'List failed jobs, newest first'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "retry" -d 'Put failed jobs back on their queue: UUID…, `all`, or --queue Q'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "monitor" -d 'Exit 1 with ALERT rows when a queue holds --max jobs or more (for cron)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "forget" -d 'Delete one failed job'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "flush" -d 'Delete all failed jobs (or those older than --hours)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "prune-failed" -d 'Delete failed jobs older than --hours (default 24)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "clear" -d 'Delete every job of a queue, including delayed and reserved ones'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "restart" -d 'Tell every worker to exit after its current job (for deploys)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "pause" -d 'Stop workers from taking jobs from a queue: [CONNECTION:]QUEUE'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "resume" -d 'Let workers take jobs from a paused queue again: [CONNECTION:]QUEUE'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "down" -d 'Maintenance mode: workers take no jobs (unless started with --force)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "up" -d 'Leave maintenance mode'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "supervisor-config" -d 'Print a supervisord program section that runs workers for this store'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "systemd-unit" -d 'Print a systemd unit that runs workers for this store'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "migrate" -d 'Apply pending schema migrations to the store'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "completions" -d 'Print shell completions: bash, zsh, fish, elvish or powershell'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "man" -d 'Print the man page (roff)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "guard" -d 'Internal: the helper that kills a dead worker\'s jobs'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch work listen release fail status show failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit migrate completions man guard help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
