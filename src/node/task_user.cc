#include "node/task_user.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <vector>

#include "core/log.h"

extern char** environ;

namespace kiln::node {
namespace {

constexpr const char* kTaskUser = "_azbatch";

struct Account {
  Owner owner;
  std::string name;
  std::string home;
};

std::optional<Account> lookup(const char* name) {
  std::vector<char> buf(16384);
  passwd pw;
  passwd* out = nullptr;
  if (::getpwnam_r(name, &pw, buf.data(), buf.size(), &out) != 0 || !out) return std::nullopt;
  Account a{{out->pw_uid, out->pw_gid}, out->pw_name, out->pw_dir ? out->pw_dir : ""};
  struct stat st;
  if (a.home.empty() || ::stat(a.home.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) a.home.clear();
  return a;
}

bool run_useradd() {
  const char* argv[] = {"useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                        kTaskUser, nullptr};
  for (const char* path : {"/usr/sbin/useradd", "/sbin/useradd"}) {
    if (::access(path, X_OK) != 0) continue;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = ::posix_spawn(&pid, path, &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return false;
}

const std::optional<Account>& task_account() {
  static std::optional<Account> account;
  static std::once_flag once;
  std::call_once(once, [] {
    if (::geteuid() != 0) return;
    account = lookup(kTaskUser);
    if (!account && run_useradd()) account = lookup(kTaskUser);
    if (!account) {
      LOG_WARN("node: cannot create user " << kTaskUser << "; non-admin tasks run as nobody");
      account = lookup("nobody");
    }
    if (!account) {
      LOG_ERROR("node: no unprivileged account found; non-admin tasks run as root");
    }
  });
  return account;
}

const Account& self_account() {
  static Account self = [] {
    Account a{{::geteuid(), ::getegid()}, "", ""};
    std::vector<char> buf(16384);
    passwd pw;
    passwd* out = nullptr;
    if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &out) == 0 && out) {
      a.name = out->pw_name;
      a.home = out->pw_dir ? out->pw_dir : "";
    }
    if (const char* h = ::getenv("HOME"); h && *h) a.home = h;
    return a;
  }();
  return self;
}

}  // namespace

std::optional<Owner> unprivileged_account() {
  const auto& a = task_account();
  if (!a) return std::nullopt;
  return a->owner;
}

RunAs run_as_for(const UserIdentity& identity) {
  RunAs r;
  if (identity.user_name.empty()) {
    r.identity = std::string(identity.pool_scope ? "Pool" : "Task") +
                 (identity.elevated ? "Admin" : "NonAdmin");
  } else {
    r.identity = identity.user_name;
  }
  const auto& unpriv = task_account();
  if (!identity.elevated && unpriv) {
    r.switch_to = unpriv->owner;
    r.user_name = unpriv->name;
    r.home = unpriv->home;
  } else {
    r.user_name = self_account().name;
    r.home = self_account().home;
    // Admin tasks stay root but share the task account's group, as Azure's
    // admin and non-admin auto-users share one: what they create (e.g. a start
    // task's resource files, 0770 by default, copied to the shared directory)
    // stays readable by non-admin tasks.
    if (unpriv) r.switch_to = Owner{self_account().owner.uid, unpriv->owner.gid};
  }
  if (!identity.user_name.empty()) r.user_name = identity.user_name;
  return r;
}

void ensure_traversable(const std::string& dir, Owner owner) {
  std::string path = dir;
  while (!path.empty() && path != "/") {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      bool can = (st.st_uid == owner.uid && (st.st_mode & S_IXUSR)) ||
                 (st.st_gid == owner.gid && (st.st_mode & S_IXGRP)) || (st.st_mode & S_IXOTH);
      if (!can) {
        LOG_WARN("node: adding o+x to " << path << " so non-admin tasks can reach the node root");
        ::chmod(path.c_str(), (st.st_mode & 07777) | S_IXOTH);
      }
    }
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) break;
    path.resize(slash);
  }
}

}  // namespace kiln::node
