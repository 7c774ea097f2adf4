import VTPNN
