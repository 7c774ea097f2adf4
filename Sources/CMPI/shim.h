// Open MPI's C API (Debian: libopenmpi-dev). Open MPI spells its predefined handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, …) as macros over global objects, which Swift cannot import: the functions below return them.
#include <mpi.h>

static inline MPI_Comm vtp_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype vtp_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype vtp_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype vtp_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op vtp_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op vtp_mpi_max(void) { return MPI_MAX; }
static inline MPI_Errhandler vtp_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline void *vtp_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int vtp_mpi_success(void) { return MPI_SUCCESS; }
static inline int vtp_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int vtp_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
