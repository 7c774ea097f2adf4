#include "CVTPData.h"
