// Defence in depth for policy evaluation: a seccomp filter on the whole process.
//
// V8 runs the guests, and it is the largest attack surface we have. A guest that found a way out
// of V8 would hold the process's rights: run programs, trace or read other processes, listen on
// new ports, mount, load kernel modules or BPF programs. Once policy-server or kwctl has started
// up (policies loaded, listeners bound), it no longer needs any of that, so it installs this
// filter: every thread keeps only the system calls that serving and evaluating use (files,
// outgoing connections, threads, memory, time), and each of the others is refused.
//
// What a refused call gets (sandbox.cc has the lists):
// - the calls that only an attack makes (execve, ptrace, process_vm_*, mount and namespaces,
//   kernel modules, kexec, bpf, perf_event_open, userfaultfd, keyrings) kill the process at
//   once: nothing legitimate asks for them, and a process that is being exploited must not get
//   a second try. The kernel logs the kill (seccomp audit record), and the process ends by
//   SIGSYS, which its supervisor (kubelet, a shell) reports.
// - every other call outside the allow-list fails with EPERM, and a line naming it goes to
//   stderr ("<program>: seccomp filter refused system call listen (50)"), so that a feature
//   the list forgot shows up as an error that says why, not as a dead server.
// New processes are refused too (clone without CLONE_THREAD, fork, vfork), with EPERM: docker
// credential helpers, which the registry client runs as programs, therefore cannot run under
// the filter (the client reports it and goes on without credentials).
//
// Thread safety: call once, from any thread; the filter applies to every thread of the process
// at once (SECCOMP_FILTER_FLAG_TSYNC) and to the threads started later. It cannot be removed.
#pragma once

#include "base/error.h"

namespace kw::sandbox {

// Installs the filter. Fails (kUnimplemented) on a kernel without seccomp filters, or (kIo) when
// the kernel refuses it; the process is then unchanged.
Result<void> RestrictSystemCalls();

}  // namespace kw::sandbox
