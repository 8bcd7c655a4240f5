// RunCommand: an action's command, without a shell unless asked, in its own process group, the
// finding's ASFF JSON on stdin, bounded captured output, a timeout that kills the group.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "rules/deliver.h"

extern char** environ;

namespace findex {

namespace {

// argv[0] as execve needs it: a path with '/' as is, else the first executable in $PATH.
std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

DeliveryResult RunCommand(const CommandSpec& spec, std::string_view input,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          const Redactor& redactor) {
  DeliveryResult r;
  if (spec.argv.empty() || spec.argv[0].empty()) {
    r.error = "command: empty argv";
    return r;
  }
  std::vector<std::string> args;
  if (spec.shell) {
    args = {"/bin/sh", "-c", spec.argv[0], "findex-action"};
    args.insert(args.end(), spec.argv.begin() + 1, spec.argv.end());
  } else {
    args = spec.argv;
  }
  const std::string program = ResolveProgram(args[0]);
  if (program.empty()) {
    r.error = "command: " + redactor.Redact(args[0]) + ": not found in PATH";
    return r;
  }
  // argv and the environment, as posix_spawn takes them.
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& [k, v] : extra_env) {
      if (kv.size() > k.size() && kv.compare(0, k.size(), k) == 0 && kv[k.size()] == '=') overridden = true;
    }
    if (!overridden) env_store.emplace_back(kv);
  }
  for (const auto& [k, v] : extra_env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in_sock[2] = {-1, -1};   // a socket, so that writing to a child that never reads raises no SIGPIPE
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {in_sock, out_pipe, err_pipe}) {
      CloseFd(p[0]);
      CloseFd(p[1]);
    }
  };
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_sock) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.error = std::string("command: cannot create pipes: ") + std::strerror(errno);
    close_all();
    return r;
  }
  // posix_spawn (vfork semantics: cheap even when findex holds a lot of memory; exec failures are
  // its return value). The child: its own process group, stdin/stdout/stderr on our pipes (dup2
  // clears close-on-exec), default signal handling and an empty signal mask.
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in_sock[1], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGCHLD, SIGHUP}) sigaddset(&defaults, sig);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  CloseFd(in_sock[1]);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);
  if (rc != 0) {
    close_all();
    r.error = "command: cannot run " + redactor.Redact(args[0]) + ": " + std::strerror(rc);
    return r;
  }
  r.attempts = 1;

  SetNonBlocking(in_sock[0]);
  SetNonBlocking(out_pipe[0]);
  SetNonBlocking(err_pipe[0]);
  size_t written = 0;
  if (input.empty()) {
    ::shutdown(in_sock[0], SHUT_WR);
    CloseFd(in_sock[0]);
  }
  std::string out, err;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(1, spec.timeout_s));
  bool timed_out = false;
  char buf[8192];
  while (out_pipe[0] >= 0 || err_pipe[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_sock[0] >= 0) { fds[n] = {in_sock[0], POLLOUT, 0}; idx_in = n++; }
    if (out_pipe[0] >= 0) { fds[n] = {out_pipe[0], POLLIN, 0}; idx_out = n++; }
    if (err_pipe[0] >= 0) { fds[n] = {err_pipe[0], POLLIN, 0}; idx_err = n++; }
    int pr = ::poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (idx_in >= 0 && fds[idx_in].revents != 0) {
      ssize_t w = ::send(in_sock[0], input.data() + written, input.size() - written, MSG_NOSIGNAL);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // the child stopped reading
      if (written >= input.size()) {
        ::shutdown(in_sock[0], SHUT_WR);
        CloseFd(in_sock[0]);
      }
    }
    for (auto [idx, fd, sink] : {std::tuple{idx_out, &out_pipe[0], &out}, std::tuple{idx_err, &err_pipe[0], &err}}) {
      if (idx < 0 || fds[idx].revents == 0) continue;
      ssize_t got = ::read(*fd, buf, sizeof buf);
      if (got > 0) {
        if (sink->size() < spec.max_output_bytes) {
          sink->append(buf, std::min(static_cast<size_t>(got), spec.max_output_bytes - sink->size()));
        }
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        CloseFd(*fd);
      }
    }
  }
  int status = 0;
  if (!timed_out) {
    // Output closed: wait for the exit, still bounded by the deadline.
    while (true) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        break;
      }
      ::usleep(10000);
    }
  }
  if (timed_out) {
    if (::kill(-pid, SIGKILL) != 0) ::kill(pid, SIGKILL);  // the group, or at least the child
    ::waitpid(pid, &status, 0);
  }
  CloseFd(in_sock[0]);
  CloseFd(out_pipe[0]);
  CloseFd(err_pipe[0]);

  r.output = out;
  if (!err.empty()) r.output += (r.output.empty() || r.output.back() == '\n' ? "" : "\n") + err;
  r.output = redactor.Redact(r.output);
  if (timed_out) {
    r.error = "command: timed out after " + std::to_string(spec.timeout_s) + " s; its process group was killed";
    return r;
  }
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.ok = r.exit_code == 0;
    if (!r.ok) {
      std::string first = FirstLine(err.empty() ? out : err);
      r.error = "command: exit status " + std::to_string(r.exit_code) + (first.empty() ? "" : ": " + first);
    }
  } else if (WIFSIGNALED(status)) {
    r.error = "command: killed by signal " + std::to_string(WTERMSIG(status));
  }
  r.error = redactor.Redact(r.error);
  return r;
}

}  // namespace findex
