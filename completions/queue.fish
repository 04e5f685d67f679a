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
complete -c queue -n "__fish_queue_needs_command" -f -a "chain" -d 'Queue commands that run one after another: \'CMD1\' \'CMD2\' … [--catch CMD]'
complete -c queue -n "__fish_queue_needs_command" -f -a "chain-add" -d 'Inside a job: add links to the rest of its chain ([--prepend] \'CMD\'…)'
complete -c queue -n "__fish_queue_needs_command" -f -a "batch" -d 'Queue commands that run as one batch, with then / catch / finally / progress callbacks'
complete -c queue -n "__fish_queue_needs_command" -f -a "batch-add" -d 'Inside a batched job: add jobs to its batch'
complete -c queue -n "__fish_queue_needs_command" -f -a "batches" -d 'List batches, newest first'
complete -c queue -n "__fish_queue_needs_command" -f -a "batch-show" -d 'Show one batch: counts, progress, state'
complete -c queue -n "__fish_queue_needs_command" -f -a "batch-cancel" -d 'Cancel a batch: its queued jobs are skipped'
complete -c queue -n "__fish_queue_needs_command" -f -a "retry-batch" -d 'Put a batch\'s failed jobs back on their queue'
complete -c queue -n "__fish_queue_needs_command" -f -a "prune-batches" -d 'Delete old batches: finished (--hours), unfinished, cancelled'
complete -c queue -n "__fish_queue_needs_command" -f -a "work" -d 'Run a worker that processes jobs until it is told to stop'
complete -c queue -n "__fish_queue_needs_command" -f -a "listen" -d 'Run each job in a fresh `queue work --once` process (re-reads queue.toml every time)'
complete -c queue -n "__fish_queue_needs_command" -f -a "release" -d 'Inside a job: put this job back on its queue (after --delay seconds, or its backoff)'
complete -c queue -n "__fish_queue_needs_command" -f -a "fail" -d 'Inside a job: fail this job now, with no more tries'
complete -c queue -n "__fish_queue_needs_command" -f -a "status" -d 'Show queue sizes and the oldest waiting job of each queue'
complete -c queue -n "__fish_queue_needs_command" -f -a "ui" -d 'Serve the operations dashboard, /metrics and the JSON API (loopback unless --token)'
complete -c queue -n "__fish_queue_needs_command" -f -a "show" -d 'Show one job: state, attempts, options and last output'
complete -c queue -n "__fish_queue_needs_command" -f -a "jobs" -d 'List jobs in any state, newest first (filters, --limit, --json)'
complete -c queue -n "__fish_queue_needs_command" -f -a "cancel" -d 'Delete queued or delayed jobs'
complete -c queue -n "__fish_queue_needs_command" -f -a "run-now" -d 'Make delayed jobs available now'
complete -c queue -n "__fish_queue_needs_command" -f -a "wait" -d 'Block until jobs, a batch, a chain or queues have ended; exit 1 if any failed'
complete -c queue -n "__fish_queue_needs_command" -f -a "logs" -d 'Print an attempt\'s output; --follow streams a running one\'s'
complete -c queue -n "__fish_queue_needs_command" -f -a "events" -d 'Print the recorded events (job.queued, job.failed, worker.stopping …); --follow streams new ones from every host'
complete -c queue -n "__fish_queue_needs_command" -f -a "failed" -d 'List failed jobs, newest first (--queue, --name, --since, --grep, --exit-code …)'
complete -c queue -n "__fish_queue_needs_command" -f -a "retry" -d 'Put failed jobs back on their queue: UUID…, `all`, or a selection (--queue, --since …)'
complete -c queue -n "__fish_queue_needs_command" -f -a "monitor" -d 'Exit 1 with ALERT rows when a queue holds --max jobs or more (for cron)'
complete -c queue -n "__fish_queue_needs_command" -f -a "forget" -d 'Delete failed jobs: UUID…, `all`, or a selection (--queue, --since …)'
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
complete -c queue -n "__fish_queue_needs_command" -f -a "lock" -d 'Run a command while holding a store-wide lock: KEY [--block S] [--for S] -- CMD…'
complete -c queue -n "__fish_queue_needs_command" -f -a "key-generate" -d 'Print a new random key for QUEUE_KEY (encrypted jobs)'
complete -c queue -n "__fish_queue_needs_command" -f -a "table" -d 'Write the SQL for the jobs table (and the tables workers use) into ./migrations/'
complete -c queue -n "__fish_queue_needs_command" -f -a "failed-table" -d 'Write the SQL for the failed_jobs table into ./migrations/'
complete -c queue -n "__fish_queue_needs_command" -f -a "batches-table" -d 'Write the SQL for the job_batches table into ./migrations/'
complete -c queue -n "__fish_queue_needs_command" -f -a "bench" -d 'Measure this machine: dispatch, drain, pickup and handler rates beside their limits'
complete -c queue -n "__fish_queue_needs_command" -f -a "migrate" -d 'Apply pending schema migrations to the store'
complete -c queue -n "__fish_queue_needs_command" -f -a "completions" -d 'Print shell completions: bash, zsh, fish, elvish or powershell'
complete -c queue -n "__fish_queue_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c queue -n "__fish_queue_needs_command" -f -a "guard" -d 'Internal: the helper that kills a dead worker\'s jobs'
complete -c queue -n "__fish_queue_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l queue -d 'The queue to put the job on (default: the connection\'s queue, else `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l delay -d 'Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l tries -d 'Attempts allowed (0 or -1 = unlimited; default: the worker\'s --tries)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l backoff -d 'Seconds to wait before each retry, by attempt, the last repeating: 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l timeout -d 'Seconds the job may run (default: the worker\'s --timeout; 0 = none)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l retry-until -d 'Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l max-exceptions -d 'Fail the job once it has thrown this many exceptions (non-zero exits, timeouts)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l payload -d 'JSON given to the job on stdin' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l env -d 'An environment variable for the job (repeatable)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l cwd -d 'The directory the job runs in (default: this one)' -r -F
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l unique -d 'Queue it only if no job with this unique id (default: the job\'s name) is queued or running; otherwise skip it (exit 0, said on stderr)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l unique-for -d 'The unique lock lapses after this long even if the job has not finished' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l without-overlapping -d 'Never run at the same time as another job with this key (it waits, using an attempt)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l overlap-release-after -d 'With --without-overlapping: a held-back job comes back after S seconds (instead of when the holder ends)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l overlap-expire-after -d 'With --without-overlapping: the lock lapses after S seconds even if its holder still runs' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l throttle-exceptions -d 'After MAX exceptions within SECONDS, hold back jobs with this key (default: the name)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l rate-limit -d 'At most N starts per SECONDS for jobs with this key' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l funnel -d 'At most N jobs with this key running at once' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l on-failure -d 'Run this shell command (as a job) once when the job fails for good; the event is on its stdin and in QUEUE_EVENT_* variables' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l on-success -d 'Run this shell command (as a job) once when the job succeeds' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l name -d 'The name shown in listings (default: the command, or the named job)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l if -d 'Dispatch only if this shell command exits 0' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l unless -d 'Dispatch only if this shell command exits non-zero' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l file -d 'Dispatch every job of a JSON Lines file in one transaction (all or nothing)' -r -F
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l wait-timeout -d 'With --wait: give up waiting after this long (exit 124; the job stays queued)' -r
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l fail-on-timeout -d 'Fail the job at its first timeout, whatever --tries says'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l unique-until-processing -d 'Release the unique lock when the job starts instead of when it ends'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l dont-release -d 'A job held back by --without-overlapping or --rate-limit is deleted (as a success) instead of released'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l encrypt -d 'Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM)'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l sync -d 'Run now in this process (no queue, no retries, nothing stored) and exit with the status'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l wait -d 'Then block until the job succeeded (exit 0) or failed for good (its last attempt\'s exit status: 128+N for a signal, 124 for a timeout, 1 if it could not start)'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -l follow -d 'With --wait: stream the job\'s output while waiting'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand dispatch" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand chain" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand chain" -l queue -d 'The queue to put the job on (default: the connection\'s queue, else `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l delay -d 'Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l tries -d 'Attempts allowed (0 or -1 = unlimited; default: the worker\'s --tries)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l backoff -d 'Seconds to wait before each retry, by attempt, the last repeating: 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l timeout -d 'Seconds the job may run (default: the worker\'s --timeout; 0 = none)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l retry-until -d 'Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l max-exceptions -d 'Fail the job once it has thrown this many exceptions (non-zero exits, timeouts)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l payload -d 'JSON given to the job on stdin' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l env -d 'An environment variable for the job (repeatable)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l cwd -d 'The directory the job runs in (default: this one)' -r -F
complete -c queue -n "__fish_queue_using_subcommand chain" -l unique -d 'Queue it only if no job with this unique id (default: the job\'s name) is queued or running; otherwise skip it (exit 0, said on stderr)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l unique-for -d 'The unique lock lapses after this long even if the job has not finished' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l without-overlapping -d 'Never run at the same time as another job with this key (it waits, using an attempt)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l overlap-release-after -d 'With --without-overlapping: a held-back job comes back after S seconds (instead of when the holder ends)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l overlap-expire-after -d 'With --without-overlapping: the lock lapses after S seconds even if its holder still runs' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l throttle-exceptions -d 'After MAX exceptions within SECONDS, hold back jobs with this key (default: the name)' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l rate-limit -d 'At most N starts per SECONDS for jobs with this key' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l funnel -d 'At most N jobs with this key running at once' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l on-failure -d 'Run this shell command (as a job) once when the job fails for good; the event is on its stdin and in QUEUE_EVENT_* variables' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l on-success -d 'Run this shell command (as a job) once when the job succeeds' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l if -d 'Dispatch only if this shell command exits 0' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l unless -d 'Dispatch only if this shell command exits non-zero' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l catch -d 'A shell command queued as a job when a link fails for good; its environment has QUEUE_FAILED_JOB_ID, QUEUE_FAILED_JOB_NAME and QUEUE_FAILED_ERROR' -r
complete -c queue -n "__fish_queue_using_subcommand chain" -l file -d 'A JSON list of links: shell strings, or job objects ({"command": [...]}, {"shell": "..."}, {"job": "NAME", "payload": {...}}) with options, or batches ({"batch": [...], "then": ...})' -r -F
complete -c queue -n "__fish_queue_using_subcommand chain" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand chain" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand chain" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand chain" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand chain" -l fail-on-timeout -d 'Fail the job at its first timeout, whatever --tries says'
complete -c queue -n "__fish_queue_using_subcommand chain" -l unique-until-processing -d 'Release the unique lock when the job starts instead of when it ends'
complete -c queue -n "__fish_queue_using_subcommand chain" -l dont-release -d 'A job held back by --without-overlapping or --rate-limit is deleted (as a success) instead of released'
complete -c queue -n "__fish_queue_using_subcommand chain" -l encrypt -d 'Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM)'
complete -c queue -n "__fish_queue_using_subcommand chain" -l sync -d 'Run now in this process (no queue, no retries, nothing stored) and exit with the status'
complete -c queue -n "__fish_queue_using_subcommand chain" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand chain" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l queue -d 'The queue to put the job on (default: the connection\'s queue, else `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l delay -d 'Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l tries -d 'Attempts allowed (0 or -1 = unlimited; default: the worker\'s --tries)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l backoff -d 'Seconds to wait before each retry, by attempt, the last repeating: 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l timeout -d 'Seconds the job may run (default: the worker\'s --timeout; 0 = none)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l retry-until -d 'Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l max-exceptions -d 'Fail the job once it has thrown this many exceptions (non-zero exits, timeouts)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l payload -d 'JSON given to the job on stdin' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l env -d 'An environment variable for the job (repeatable)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l cwd -d 'The directory the job runs in (default: this one)' -r -F
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l unique -d 'Queue it only if no job with this unique id (default: the job\'s name) is queued or running; otherwise skip it (exit 0, said on stderr)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l unique-for -d 'The unique lock lapses after this long even if the job has not finished' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l without-overlapping -d 'Never run at the same time as another job with this key (it waits, using an attempt)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l overlap-release-after -d 'With --without-overlapping: a held-back job comes back after S seconds (instead of when the holder ends)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l overlap-expire-after -d 'With --without-overlapping: the lock lapses after S seconds even if its holder still runs' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l throttle-exceptions -d 'After MAX exceptions within SECONDS, hold back jobs with this key (default: the name)' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l rate-limit -d 'At most N starts per SECONDS for jobs with this key' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l funnel -d 'At most N jobs with this key running at once' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l on-failure -d 'Run this shell command (as a job) once when the job fails for good; the event is on its stdin and in QUEUE_EVENT_* variables' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l on-success -d 'Run this shell command (as a job) once when the job succeeds' -r
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l file -d 'A JSON list of links, as `queue chain --file` takes' -r -F
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l fail-on-timeout -d 'Fail the job at its first timeout, whatever --tries says'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l unique-until-processing -d 'Release the unique lock when the job starts instead of when it ends'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l dont-release -d 'A job held back by --without-overlapping or --rate-limit is deleted (as a success) instead of released'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l encrypt -d 'Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM)'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -l prepend -d 'Run the links next, before the rest of the chain (a later --prepend goes first)'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand chain-add" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand batch" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch" -l queue -d 'The queue to put the job on (default: the connection\'s queue, else `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l delay -d 'Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l tries -d 'Attempts allowed (0 or -1 = unlimited; default: the worker\'s --tries)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l backoff -d 'Seconds to wait before each retry, by attempt, the last repeating: 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l timeout -d 'Seconds the job may run (default: the worker\'s --timeout; 0 = none)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l retry-until -d 'Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l max-exceptions -d 'Fail the job once it has thrown this many exceptions (non-zero exits, timeouts)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l payload -d 'JSON given to the job on stdin' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l env -d 'An environment variable for the job (repeatable)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l cwd -d 'The directory the job runs in (default: this one)' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch" -l unique -d 'Queue it only if no job with this unique id (default: the job\'s name) is queued or running; otherwise skip it (exit 0, said on stderr)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l unique-for -d 'The unique lock lapses after this long even if the job has not finished' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l without-overlapping -d 'Never run at the same time as another job with this key (it waits, using an attempt)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l overlap-release-after -d 'With --without-overlapping: a held-back job comes back after S seconds (instead of when the holder ends)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l overlap-expire-after -d 'With --without-overlapping: the lock lapses after S seconds even if its holder still runs' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l throttle-exceptions -d 'After MAX exceptions within SECONDS, hold back jobs with this key (default: the name)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l rate-limit -d 'At most N starts per SECONDS for jobs with this key' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l funnel -d 'At most N jobs with this key running at once' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l on-failure -d 'Run this shell command (as a job) once when the job fails for good; the event is on its stdin and in QUEUE_EVENT_* variables' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l on-success -d 'Run this shell command (as a job) once when the job succeeds' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l if -d 'Dispatch only if this shell command exits 0' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l unless -d 'Dispatch only if this shell command exits non-zero' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l name -d 'The batch\'s name' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l then -d 'Run when every job has succeeded' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l catch -d 'Run at the batch\'s first failure' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l finally -d 'Run when every job has either succeeded or failed' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l progress -d 'Run after each success (and each failure with --allow-failures)' -r
complete -c queue -n "__fish_queue_using_subcommand batch" -l file -d 'A JSON list of jobs (shell strings or job objects); an inner list is a chain' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand batch" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand batch" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand batch" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand batch" -l fail-on-timeout -d 'Fail the job at its first timeout, whatever --tries says'
complete -c queue -n "__fish_queue_using_subcommand batch" -l unique-until-processing -d 'Release the unique lock when the job starts instead of when it ends'
complete -c queue -n "__fish_queue_using_subcommand batch" -l dont-release -d 'A job held back by --without-overlapping or --rate-limit is deleted (as a success) instead of released'
complete -c queue -n "__fish_queue_using_subcommand batch" -l encrypt -d 'Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM)'
complete -c queue -n "__fish_queue_using_subcommand batch" -l sync -d 'Run now in this process (no queue, no retries, nothing stored) and exit with the status'
complete -c queue -n "__fish_queue_using_subcommand batch" -l allow-failures -d 'Keep going after a failure instead of cancelling the batch'
complete -c queue -n "__fish_queue_using_subcommand batch" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand batch" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l queue -d 'The queue to put the job on (default: the connection\'s queue, else `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l delay -d 'Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l tries -d 'Attempts allowed (0 or -1 = unlimited; default: the worker\'s --tries)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l backoff -d 'Seconds to wait before each retry, by attempt, the last repeating: 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l timeout -d 'Seconds the job may run (default: the worker\'s --timeout; 0 = none)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l retry-until -d 'Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l max-exceptions -d 'Fail the job once it has thrown this many exceptions (non-zero exits, timeouts)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l payload -d 'JSON given to the job on stdin' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l env -d 'An environment variable for the job (repeatable)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l cwd -d 'The directory the job runs in (default: this one)' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l unique -d 'Queue it only if no job with this unique id (default: the job\'s name) is queued or running; otherwise skip it (exit 0, said on stderr)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l unique-for -d 'The unique lock lapses after this long even if the job has not finished' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l without-overlapping -d 'Never run at the same time as another job with this key (it waits, using an attempt)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l overlap-release-after -d 'With --without-overlapping: a held-back job comes back after S seconds (instead of when the holder ends)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l overlap-expire-after -d 'With --without-overlapping: the lock lapses after S seconds even if its holder still runs' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l throttle-exceptions -d 'After MAX exceptions within SECONDS, hold back jobs with this key (default: the name)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l rate-limit -d 'At most N starts per SECONDS for jobs with this key' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l funnel -d 'At most N jobs with this key running at once' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l on-failure -d 'Run this shell command (as a job) once when the job fails for good; the event is on its stdin and in QUEUE_EVENT_* variables' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l on-success -d 'Run this shell command (as a job) once when the job succeeds' -r
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l fail-on-timeout -d 'Fail the job at its first timeout, whatever --tries says'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l unique-until-processing -d 'Release the unique lock when the job starts instead of when it ends'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l dont-release -d 'A job held back by --without-overlapping or --rate-limit is deleted (as a success) instead of released'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -l encrypt -d 'Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM)'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand batch-add" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand batches" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand batches" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batches" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand batches" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand batches" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand batches" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand batches" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand batches" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand batches" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand batch-show" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-show" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch-show" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -l watch -d 'Follow the batch to its end (finished, cancelled, or no job left to run): a live progress bar on a terminal, else a line per change (--json: a document per change). Exit 0 when it finished without a failure, 1 otherwise'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand batch-show" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand batch-cancel" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand retry-batch" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l hours -d 'Delete finished batches older than this many hours' -r
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l unfinished -d 'Also delete unfinished batches created more than H hours ago' -r
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l cancelled -d 'Also delete cancelled batches created more than H hours ago' -r
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand prune-batches" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand work" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand work" -l queue -d 'Queues in priority order: a,b (default: the connection\'s queue)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l sleep -d 'Seconds to wait when no job is available (fractions allowed)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l timeout -d 'Seconds a job may run when it does not say (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l tries -d 'Attempts a job gets when it does not say (0 or -1 = unlimited)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l backoff -d 'Seconds before a failed job is retried, when it does not say: 0, or a list 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l rest -d 'Seconds to rest after each job' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l memory -d 'Exit with status 12 once this process uses this many MB (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l max-jobs -d 'Exit after this many jobs (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l max-time -d 'Exit after running this long (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l stop-when-empty-for -d 'Exit once no job has been available for S seconds' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l name -d 'This worker\'s name' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l concurrency -d 'Jobs to run at once in this worker' -r
complete -c queue -n "__fish_queue_using_subcommand work" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand work" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand work" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand work" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand work" -l force -d 'Work even in maintenance mode (`queue down`)'
complete -c queue -n "__fish_queue_using_subcommand work" -l stop-when-empty -d 'Exit as soon as no job is available now (delayed jobs stay queued)'
complete -c queue -n "__fish_queue_using_subcommand work" -l stop-when-done -d 'Exit once no job of these queues is available or delayed (waits out retries\' backoff)'
complete -c queue -n "__fish_queue_using_subcommand work" -l exit-on-failure -d 'Exit 1 if any job this worker ran failed for good (for CI)'
complete -c queue -n "__fish_queue_using_subcommand work" -l once -d 'Process at most one job, then exit'
complete -c queue -n "__fish_queue_using_subcommand work" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand work" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand listen" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand listen" -l queue -d 'Queues in priority order: a,b (default: the connection\'s queue)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l sleep -d 'Seconds to wait when no job is available (fractions allowed)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l timeout -d 'Seconds a job may run when it does not say (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l tries -d 'Attempts a job gets when it does not say (0 or -1 = unlimited)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l backoff -d 'Seconds before a failed job is retried, when it does not say: 0, or a list 1,5,10' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l rest -d 'Seconds to rest after each job' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l memory -d 'Exit with status 12 once this process uses this many MB (0 = no limit)' -r
complete -c queue -n "__fish_queue_using_subcommand listen" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand listen" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand listen" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand listen" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand listen" -l force -d 'Work even in maintenance mode (`queue down`)'
complete -c queue -n "__fish_queue_using_subcommand listen" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand listen" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand release" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand release" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand release" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand release" -l delay -d 'Seconds before the job is available again (default: its backoff)' -r
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
complete -c queue -n "__fish_queue_using_subcommand ui" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand ui" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand ui" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand ui" -l listen -d 'Where to listen. Anything but loopback needs --token' -r
complete -c queue -n "__fish_queue_using_subcommand ui" -l token -d 'Require this token: `Authorization: Bearer TOKEN`, or a session started with it at /login' -r
complete -c queue -n "__fish_queue_using_subcommand ui" -l base-path -d 'Serve every page under this path (behind a reverse proxy), such as /queue' -r
complete -c queue -n "__fish_queue_using_subcommand ui" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand ui" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand ui" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand ui" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand ui" -l read-only -d 'Refuse every change (POST): a dashboard to look at only'
complete -c queue -n "__fish_queue_using_subcommand ui" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand ui" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand show" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand show" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand show" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand show" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand show" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand show" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand show" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand show" -l decrypt -d 'Show an encrypted job\'s command, payload and env (needs QUEUE_KEY)'
complete -c queue -n "__fish_queue_using_subcommand show" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand show" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand jobs" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand jobs" -l state -d 'Only jobs in this state' -r -f -a "pending\t''
delayed\t''
reserved\t''
done\t''
failed\t''"
complete -c queue -n "__fish_queue_using_subcommand jobs" -l queue -d 'Only jobs of this queue' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l name -d 'Only jobs whose name matches this glob (`*`, `?`)' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l grep -d 'Only jobs whose command, output or error contains this text' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l since -d 'Only jobs created (failed jobs: failed) within this long ago, e.g. 1h' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l limit -d 'At most N jobs (0 = all). A table shows the newest 100 by default; --json all' -r
complete -c queue -n "__fish_queue_using_subcommand jobs" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand jobs" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand jobs" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand jobs" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand jobs" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand jobs" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand cancel" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand cancel" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand cancel" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand cancel" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand cancel" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand cancel" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand cancel" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand cancel" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand cancel" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand run-now" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand run-now" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand run-now" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand run-now" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand run-now" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand run-now" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand run-now" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand run-now" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand run-now" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand wait" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand wait" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand wait" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand wait" -l batch -d 'Wait for a batch to finish (or be cancelled)' -r
complete -c queue -n "__fish_queue_using_subcommand wait" -l chain -d 'Wait for a chain (its first job\'s uuid): its last link, or its first final failure' -r
complete -c queue -n "__fish_queue_using_subcommand wait" -l queue -d 'Wait until these queues have nothing pending, delayed or reserved' -r
complete -c queue -n "__fish_queue_using_subcommand wait" -l timeout -d 'Give up after this long (exit 124; the jobs stay queued)' -r
complete -c queue -n "__fish_queue_using_subcommand wait" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand wait" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand wait" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand wait" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand wait" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand wait" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand logs" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand logs" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand logs" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand logs" -l attempt -d 'This attempt\'s output (1 = the first) instead of the last' -r
complete -c queue -n "__fish_queue_using_subcommand logs" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand logs" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand logs" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand logs" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand logs" -s f -l follow -d 'Stream the output as it is written, until the job has ended'
complete -c queue -n "__fish_queue_using_subcommand logs" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand logs" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand events" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand events" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand events" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand events" -l since -d 'Start after this event id (a cursor), or at this time: a duration ago (1h) or RFC 3339' -r
complete -c queue -n "__fish_queue_using_subcommand events" -l queue -d 'Only events of these queues: a,b' -r
complete -c queue -n "__fish_queue_using_subcommand events" -l event -d 'Only these events: job.failed,job.processed …' -r
complete -c queue -n "__fish_queue_using_subcommand events" -l uuid -d 'Only the events of this job (its uuid or a prefix)' -r
complete -c queue -n "__fish_queue_using_subcommand events" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand events" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand events" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand events" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand events" -s f -l follow -d 'Keep printing new events as they are recorded (until interrupted)'
complete -c queue -n "__fish_queue_using_subcommand events" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand events" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand failed" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand failed" -l queue -d 'Only failed jobs of this queue' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l name -d 'Only failed jobs whose name matches this glob (`*`, `?`)' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l since -d 'Only jobs that failed since then: a duration ago (1h) or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l before -d 'Only jobs that failed before then: a duration ago (1d) or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l grep -d 'Only failed jobs whose error or output contains this text' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l exit-code -d 'Only failed jobs whose last attempt exited with N (or, killed by a signal or timed out, whose exit status is N: 128+signal, 124)' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l limit -d 'At most N failed jobs, newest first (0 = all)' -r
complete -c queue -n "__fish_queue_using_subcommand failed" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand failed" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand failed" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand failed" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand failed" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand failed" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand retry" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand retry" -l queue -d 'Only failed jobs of this queue' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l name -d 'Only failed jobs whose name matches this glob (`*`, `?`)' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l since -d 'Only jobs that failed since then: a duration ago (1h) or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l before -d 'Only jobs that failed before then: a duration ago (1d) or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l grep -d 'Only failed jobs whose error or output contains this text' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l exit-code -d 'Only failed jobs whose last attempt exited with N (or, killed by a signal or timed out, whose exit status is N: 128+signal, 124)' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l limit -d 'At most N failed jobs, newest first (0 = all)' -r
complete -c queue -n "__fish_queue_using_subcommand retry" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand retry" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand retry" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand retry" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand retry" -l dry-run -d 'Print the failed jobs that would be retried; retry nothing'
complete -c queue -n "__fish_queue_using_subcommand retry" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand retry" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand monitor" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand monitor" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand monitor" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand monitor" -l max -d 'The size (pending + delayed + reserved) at which a queue is in ALERT' -r
complete -c queue -n "__fish_queue_using_subcommand monitor" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand monitor" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand forget" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand forget" -l queue -d 'Only failed jobs of this queue' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l name -d 'Only failed jobs whose name matches this glob (`*`, `?`)' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l since -d 'Only jobs that failed since then: a duration ago (1h) or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l before -d 'Only jobs that failed before then: a duration ago (1d) or an RFC 3339 time' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l grep -d 'Only failed jobs whose error or output contains this text' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l exit-code -d 'Only failed jobs whose last attempt exited with N (or, killed by a signal or timed out, whose exit status is N: 128+signal, 124)' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l limit -d 'At most N failed jobs, newest first (0 = all)' -r
complete -c queue -n "__fish_queue_using_subcommand forget" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand forget" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand forget" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand forget" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand forget" -l dry-run -d 'Print the failed jobs that would be deleted; delete nothing'
complete -c queue -n "__fish_queue_using_subcommand forget" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand forget" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand flush" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand flush" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand flush" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand flush" -l hours -d 'Only failed jobs at least this many hours old' -r
complete -c queue -n "__fish_queue_using_subcommand flush" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand flush" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand flush" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand flush" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand flush" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand flush" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l hours -d 'Keep failed jobs younger than this many hours' -r
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand prune-failed" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand clear" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand clear" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand clear" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand clear" -l queue -d 'The queue to clear (default: the connection\'s queue)' -r
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
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l program -d 'The supervisord program name' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l numprocs -d 'How many worker processes' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l work-args -d 'Arguments for `queue work` (e.g. --queue high,default --tries 3)' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l timeout -d 'The workers\' job timeout, in seconds (given to `queue work --timeout` unless --work-args has one); the stop timeout is the longest timeout plus a margin' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l user -d 'The user the workers run as (default: the current one)' -r
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand supervisor-config" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l work-args -d 'Arguments for `queue work` (e.g. --queue high,default --tries 3)' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l timeout -d 'The workers\' job timeout, in seconds (given to `queue work --timeout` unless --work-args has one); the stop timeout is the longest timeout plus a margin' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l user -d 'The user the workers run as (default: the current one)' -r
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand systemd-unit" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand lock" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand lock" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand lock" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand lock" -l block -d 'Wait up to this long for the lock (default: do not wait)' -r
complete -c queue -n "__fish_queue_using_subcommand lock" -l for -d 'Hold the lock at most this long (default: while CMD runs)' -r
complete -c queue -n "__fish_queue_using_subcommand lock" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand lock" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand lock" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand lock" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand lock" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand lock" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand key-generate" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand key-generate" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand key-generate" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand key-generate" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand key-generate" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand key-generate" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand key-generate" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand key-generate" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand key-generate" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand table" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand table" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand table" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand table" -l path -d 'The directory to write into' -r -F
complete -c queue -n "__fish_queue_using_subcommand table" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand table" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand table" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand table" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand table" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand table" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand failed-table" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand failed-table" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand failed-table" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand failed-table" -l path -d 'The directory to write into' -r -F
complete -c queue -n "__fish_queue_using_subcommand failed-table" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand failed-table" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand failed-table" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand failed-table" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand failed-table" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand failed-table" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand batches-table" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand batches-table" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand batches-table" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand batches-table" -l path -d 'The directory to write into' -r -F
complete -c queue -n "__fish_queue_using_subcommand batches-table" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand batches-table" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand batches-table" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand batches-table" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand batches-table" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand batches-table" -s V -l version -d 'Print version'
complete -c queue -n "__fish_queue_using_subcommand bench" -l database -d 'The store: a SQLite file path, or a postgres:// URL' -r
complete -c queue -n "__fish_queue_using_subcommand bench" -l connection -d 'The connection of queue.toml to use (default: its `default`)' -r
complete -c queue -n "__fish_queue_using_subcommand bench" -l config -d 'The queue.toml to read instead of searching upwards from the current directory' -r -F
complete -c queue -n "__fish_queue_using_subcommand bench" -l json -d 'Machine-readable output: one JSON document (JSON Lines for streams)'
complete -c queue -n "__fish_queue_using_subcommand bench" -s q -l quiet -d 'Print nothing but data and errors'
complete -c queue -n "__fish_queue_using_subcommand bench" -s v -l verbose -d 'Print more detail'
complete -c queue -n "__fish_queue_using_subcommand bench" -l no-color -d 'Never colour the output'
complete -c queue -n "__fish_queue_using_subcommand bench" -l quick -d 'Smaller counts: a rough figure in a few seconds'
complete -c queue -n "__fish_queue_using_subcommand bench" -s h -l help -d 'Print help'
complete -c queue -n "__fish_queue_using_subcommand bench" -s V -l version -d 'Print version'
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
complete -c queue -n "__fish_queue_using_subcommand man" -l dir -d 'Write every page (queue.1 and one queue-COMMAND.1 per command) into this directory' -r -F
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
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "dispatch" -d 'Put a job on a queue: `queue dispatch -- PROGRAM ARGS…`'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "chain" -d 'Queue commands that run one after another: \'CMD1\' \'CMD2\' … [--catch CMD]'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "chain-add" -d 'Inside a job: add links to the rest of its chain ([--prepend] \'CMD\'…)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "batch" -d 'Queue commands that run as one batch, with then / catch / finally / progress callbacks'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "batch-add" -d 'Inside a batched job: add jobs to its batch'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "batches" -d 'List batches, newest first'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "batch-show" -d 'Show one batch: counts, progress, state'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "batch-cancel" -d 'Cancel a batch: its queued jobs are skipped'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "retry-batch" -d 'Put a batch\'s failed jobs back on their queue'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "prune-batches" -d 'Delete old batches: finished (--hours), unfinished, cancelled'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "work" -d 'Run a worker that processes jobs until it is told to stop'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "listen" -d 'Run each job in a fresh `queue work --once` process (re-reads queue.toml every time)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "release" -d 'Inside a job: put this job back on its queue (after --delay seconds, or its backoff)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "fail" -d 'Inside a job: fail this job now, with no more tries'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "status" -d 'Show queue sizes and the oldest waiting job of each queue'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "ui" -d 'Serve the operations dashboard, /metrics and the JSON API (loopback unless --token)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "show" -d 'Show one job: state, attempts, options and last output'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "jobs" -d 'List jobs in any state, newest first (filters, --limit, --json)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "cancel" -d 'Delete queued or delayed jobs'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "run-now" -d 'Make delayed jobs available now'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "wait" -d 'Block until jobs, a batch, a chain or queues have ended; exit 1 if any failed'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "logs" -d 'Print an attempt\'s output; --follow streams a running one\'s'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "events" -d 'Print the recorded events (job.queued, job.failed, worker.stopping …); --follow streams new ones from every host'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "failed" -d 'List failed jobs, newest first (--queue, --name, --since, --grep, --exit-code …)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "retry" -d 'Put failed jobs back on their queue: UUID…, `all`, or a selection (--queue, --since …)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "monitor" -d 'Exit 1 with ALERT rows when a queue holds --max jobs or more (for cron)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "forget" -d 'Delete failed jobs: UUID…, `all`, or a selection (--queue, --since …)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "flush" -d 'Delete all failed jobs (or those older than --hours)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "prune-failed" -d 'Delete failed jobs older than --hours (default 24)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "clear" -d 'Delete every job of a queue, including delayed and reserved ones'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "restart" -d 'Tell every worker to exit after its current job (for deploys)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "pause" -d 'Stop workers from taking jobs from a queue: [CONNECTION:]QUEUE'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "resume" -d 'Let workers take jobs from a paused queue again: [CONNECTION:]QUEUE'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "down" -d 'Maintenance mode: workers take no jobs (unless started with --force)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "up" -d 'Leave maintenance mode'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "supervisor-config" -d 'Print a supervisord program section that runs workers for this store'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "systemd-unit" -d 'Print a systemd unit that runs workers for this store'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "lock" -d 'Run a command while holding a store-wide lock: KEY [--block S] [--for S] -- CMD…'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "key-generate" -d 'Print a new random key for QUEUE_KEY (encrypted jobs)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "table" -d 'Write the SQL for the jobs table (and the tables workers use) into ./migrations/'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "failed-table" -d 'Write the SQL for the failed_jobs table into ./migrations/'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "batches-table" -d 'Write the SQL for the job_batches table into ./migrations/'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "bench" -d 'Measure this machine: dispatch, drain, pickup and handler rates beside their limits'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "migrate" -d 'Apply pending schema migrations to the store'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "completions" -d 'Print shell completions: bash, zsh, fish, elvish or powershell'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "man" -d 'Print the man page (roff)'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "guard" -d 'Internal: the helper that kills a dead worker\'s jobs'
complete -c queue -n "__fish_queue_using_subcommand help; and not __fish_seen_subcommand_from dispatch chain chain-add batch batch-add batches batch-show batch-cancel retry-batch prune-batches work listen release fail status ui show jobs cancel run-now wait logs events failed retry monitor forget flush prune-failed clear restart pause resume down up supervisor-config systemd-unit lock key-generate table failed-table batches-table bench migrate completions man guard help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
