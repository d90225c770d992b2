// The resolver behind the stubs of cytopipe's lazily loaded libraries (OpenCV, Cairo, ICU, zlib, liblzma; see
// cmake/lazy_library_stubs.cmake): on a function's first call its library is loaded and the
// function looked up, and its slot set so that later calls jump straight to it.
#ifdef CYTOPIPE_LAZY_LIBRARIES
#include <dlfcn.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>

extern "C" {
// Generated tables (hidden symbols of the stubs' assembly): one slot, name and group per function.
extern void* cytopipe_lazy_slots[];
extern const char* const cytopipe_lazy_names[];
extern const unsigned char cytopipe_lazy_groups[];
extern const char* const cytopipe_lazy_sonames[];
void* cytopipe_lazy_resolve(std::size_t index);
}

// Called from the stubs' trampoline with every argument register saved; must not throw (no
// unwind information crosses the trampoline), so a library that cannot be loaded ends the
// process with a message naming it, as the dynamic loader would have at start-up.
void* cytopipe_lazy_resolve(std::size_t index) {
  static std::mutex mutex;
  static std::array<void*, 8> handles{};
  const std::lock_guard lock(mutex);
  const unsigned group = cytopipe_lazy_groups[index];
  if (group >= handles.size()) std::abort();
  if (!handles[group]) {
    handles[group] = ::dlopen(cytopipe_lazy_sonames[group], RTLD_NOW | RTLD_LOCAL);
    if (!handles[group]) {
      std::fprintf(stderr, "cytopipe: cannot load %s (needed by this command): %s\n",
                   cytopipe_lazy_sonames[group], ::dlerror());
      std::_Exit(127);
    }
  }
  void* function = ::dlsym(handles[group], cytopipe_lazy_names[index]);
  if (!function) {
    std::fprintf(stderr, "cytopipe: %s has no function %s: %s\n", cytopipe_lazy_sonames[group],
                 cytopipe_lazy_names[index], ::dlerror());
    std::_Exit(127);
  }
  __atomic_store_n(&cytopipe_lazy_slots[index], function, __ATOMIC_RELEASE);
  return function;
}
#endif
