import VTPTensor
