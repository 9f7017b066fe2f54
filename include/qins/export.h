// Symbol visibility for libqinskernels: the library is built with hidden
// visibility and exports only what is marked QINS_API.
#ifndef QINS_EXPORT_H_
#define QINS_EXPORT_H_

#if defined(QINS_BUILDING_LIBRARY)
#define QINS_API __attribute__((visibility("default")))
#else
#define QINS_API
#endif

#endif  // QINS_EXPORT_H_
